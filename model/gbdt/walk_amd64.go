//go:build amd64 && !noasm

package gbdt

// useAsmWalk says that the fast walk runs in assembly (walk_amd64.s, SSE2,
// which every amd64 processor has).
const useAsmWalk = true

// walkFastAsm is walkFastGo in assembly; it returns false, having stopped,
// at a node index outside [0, nn).
//
//go:noescape
func walkFastAsm(nodes *fastNode, nn int, at *[16]int32, data *float64, offs *[16]int, steps int32) bool

// walkRowAsm is walkFastAsm with every offset 0.
//
//go:noescape
func walkRowAsm(nodes *fastNode, nn int, at *[16]int32, row *float64, steps int32) bool
