import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-GJ7H55PU.js";import"./chunk-3IXNKX5T.js";import"./chunk-WVAVGMWJ.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as TEMPLATES,c as findTemplatesDir,b as init};
