import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-D57ACUTU.js";import"./chunk-J46VCFQ7.js";import"./chunk-HH5VOVQE.js";import"./chunk-GDH5D4TS.js";import"./chunk-KHP3CRXN.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as mergeProfileFiles,a as profile,c as readProfileFile};
