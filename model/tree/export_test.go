package tree

// Preorder is a fitted tree in scikit-learn's layout (tree_.feature,
// threshold, children_left, children_right; -2 and -1 mark leaves), with the
// leaf values; internal nodes have nil values.
type Preorder struct {
	Feature   []int
	Threshold []float64
	Left      []int
	Right     []int
	Value     [][]float64
}

// Preorder returns m's nodes in scikit-learn's depth-first preorder.
func (m *Model) Preorder() Preorder {
	var p Preorder
	var visit func(i int32) int
	visit = func(i int32) int {
		id := len(p.Feature)
		nd := m.nodes[i]
		p.Feature = append(p.Feature, -2)
		p.Threshold = append(p.Threshold, -2)
		p.Left = append(p.Left, -1)
		p.Right = append(p.Right, -1)
		p.Value = append(p.Value, nil)
		if nd.child <= 0 {
			l := int(-nd.child)
			p.Value[id] = m.values[l*m.outputs : (l+1)*m.outputs]
			return id
		}
		p.Feature[id] = int(nd.feature &^ missLeftBit)
		p.Threshold[id] = nd.threshold
		p.Left[id] = visit(nd.child)
		p.Right[id] = visit(nd.child + 1)
		return id
	}
	visit(0)
	return p
}

// MissingLeft reports, per node in the flat layout, whether missing values go
// left; leaves report false.
func (m *Model) MissingLeft() []bool {
	out := make([]bool, len(m.nodes))
	for i, nd := range m.nodes {
		out[i] = nd.child > 0 && nd.feature&missLeftBit != 0
	}
	return out
}
