import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b}from"./chunk-OOGNHKDH.js";import"./chunk-T3ZEHTDB.js";import"./chunk-HYFUHM2Q.js";import"./chunk-3IXNKX5T.js";import"./chunk-WVAVGMWJ.js";import"./chunk-CXJ6Y4IO.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as readState,a as show};
