import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-MC4E5BLU.js";import"./chunk-T7Q6N7NH.js";import"./chunk-3X3HDVL5.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as mergeProfileFiles,a as profile,c as readProfileFile};
