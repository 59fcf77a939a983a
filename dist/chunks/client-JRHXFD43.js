import { createRequire as __gitmlRequire } from "node:module"; const require = __gitmlRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-III2VX6O.js";import"./chunk-RIT4TCAD.js";import"./chunk-GBOUJYZO.js";import"./chunk-2UD2O7DP.js";export{c as GitHubPermissionError,a as createOctokit,b as httpStatusOf,d as isPermissionError,f as isServerOrNetworkError,e as rethrowPermission};
