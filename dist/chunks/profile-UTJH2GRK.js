import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-WXRWYD2A.js";import"./chunk-7OWIX7CF.js";import"./chunk-23RMWTBP.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as mergeProfileFiles,a as profile,c as readProfileFile};
