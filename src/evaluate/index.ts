export * from "./metrics";
export * from "./gates";
