import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b}from"./chunk-X2S7YG6N.js";import"./chunk-2NNXKPHE.js";import"./chunk-KIPP47J4.js";import"./chunk-67XWCPHU.js";import"./chunk-5BHRATAL.js";import"./chunk-O652X6J7.js";import"./chunk-YFLIIZOB.js";import"./chunk-2UD2O7DP.js";export{b as readState,a as show};
