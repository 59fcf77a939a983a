import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-VLCVPRW6.js";import"./chunk-LY27QA2L.js";import"./chunk-YUHC3WVR.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as TEMPLATES,c as findTemplatesDir,b as init};
