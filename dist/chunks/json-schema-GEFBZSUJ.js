import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{f as a,g as b}from"./chunk-HTDJ4LJL.js";import"./chunk-FOHQ727J.js";import"./chunk-O652X6J7.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{a as CONFIG_SCHEMA_ID,b as configJsonSchema};
