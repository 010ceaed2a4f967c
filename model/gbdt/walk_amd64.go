//go:build amd64 && !noasm

package gbdt

// useAsmWalk says that walkNum runs in assembly (walk_amd64.s, SSE2, which
// every amd64 processor has).
const useAsmWalk = true

// walkNumAsm is walkNumGo in assembly; it returns false, having stopped,
// at a node index outside [0, nn).
//
//go:noescape
func walkNumAsm(nodes *node, nn int, at *[16]int32, data *float64, offs *[16]int, steps int32) bool
