package train

import (
	"mlw.dev/internal/artifact"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

func addArtifact(runID, name string, info artifact.Info) *store.AddRunArtifactParams {
	return &store.AddRunArtifactParams{RunID: runID, Artifact: mlw.RunArtifact{Name: name, Key: info.Key, Size: info.Size}}
}
