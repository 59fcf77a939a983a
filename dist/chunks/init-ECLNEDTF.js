import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-EFI22H5W.js";import"./chunk-CAHNZ2FF.js";import"./chunk-ZJKQGFQV.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as TEMPLATES,c as findTemplatesDir,b as init};
