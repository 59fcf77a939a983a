import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-H64VDTZL.js";import"./chunk-5VWGVLD6.js";import"./chunk-HH5VOVQE.js";import"./chunk-PBZKQMBQ.js";import"./chunk-FV3AMCXV.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as mergeProfileFiles,a as profile,c as readProfileFile};
