import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-H7PLRKLF.js";import"./chunk-F5RTAJOS.js";import"./chunk-B54JISIS.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as mergeProfileFiles,a as profile,c as readProfileFile};
