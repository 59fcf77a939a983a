import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b}from"./chunk-WQ7K2HY6.js";import"./chunk-T3ZEHTDB.js";import"./chunk-C42GY2NG.js";import"./chunk-WVAVGMWJ.js";import"./chunk-CXJ6Y4IO.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as readState,a as show};
