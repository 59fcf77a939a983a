import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{c as m}from"./chunk-CHXI3AF3.js";import{a as i}from"./chunk-2UD2O7DP.js";function r(t){return t.git?.cwd===t.cwd?t.git:new m(t.cwd)}i(r,"gitOf");export{r as a};
