import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b}from"./chunk-7RLPNWIY.js";import"./chunk-VEHIFOD2.js";import"./chunk-5O5GPRLJ.js";import"./chunk-FGZRTUWI.js";import"./chunk-3BYTOEJF.js";export{b as readState,a as show};
