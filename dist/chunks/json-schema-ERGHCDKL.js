import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{g as a,h as b}from"./chunk-Z2QI5VQE.js";import"./chunk-FOHQ727J.js";import"./chunk-SMUQEAHU.js";import"./chunk-WUKTUU6T.js";import"./chunk-Z5PA7FAW.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as CONFIG_SCHEMA_ID,b as configJsonSchema};
