export * from "./schema";
export * from "./json-schema";
export * from "./load";
export { nearest, didYouMean } from "../util/suggest";
