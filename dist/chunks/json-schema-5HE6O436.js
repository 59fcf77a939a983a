import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{e as a,f as b}from"./chunk-HSRD3AJS.js";import"./chunk-CC2WFY6Q.js";import"./chunk-FGZRTUWI.js";import"./chunk-3BYTOEJF.js";export{a as CONFIG_SCHEMA_ID,b as configJsonSchema};
