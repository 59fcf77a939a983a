import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c}from"./chunk-YIQAQNJP.js";import"./chunk-67XWCPHU.js";import"./chunk-5BHRATAL.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as TEMPLATES,c as findTemplatesDir,b as init};
