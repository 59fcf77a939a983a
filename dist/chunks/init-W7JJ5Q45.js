import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-3OGMCUL5.js";import"./chunk-PQJSFYUR.js";import"./chunk-LO3Q5OB3.js";import"./chunk-QJLWDQ7J.js";import"./chunk-GBOUJYZO.js";import"./chunk-2UD2O7DP.js";export{a as TEMPLATES,c as findTemplatesDir,b as init};
