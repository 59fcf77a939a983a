export {
  startArtifactService,
  TWIRP_METHODS,
  type ArtifactCall,
  type ArtifactFault,
  type ArtifactOperation,
  type ArtifactService,
  type ArtifactServiceOptions,
  type RunTokenOptions,
  type StoredArtifact,
} from "./server";
export { readZip } from "./zip";
