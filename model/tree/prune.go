package tree

import "math"

// prune collapses subtrees of the grown tree by minimal cost-complexity
// pruning, exactly as scikit-learn's _cost_complexity_prune: while the
// weakest link (the internal node with the smallest effective alpha, the
// first in node order on ties) has an effective alpha of at most alpha, it
// becomes a leaf. The effective alpha of node t is (R(t) - R(T_t)) /
// (|leaves(T_t)| - 1), where R(t) is the node's weighted impurity as a
// fraction of the total weight and R(T_t) the sum over the subtree's leaves.
func (g *Grower) prune(alpha float64) {
	nodes := g.nodes
	n := len(nodes)
	if n <= 1 {
		return
	}
	rNode := make([]float64, n)
	rBranch := make([]float64, n)
	nLeaves := make([]int, n)
	parent := make([]int32, n)
	candidate := make([]bool, n)
	parent[0] = -1
	for i := range nodes {
		rNode[i] = nodes[i].wN * nodes[i].impurity / g.totalW
		if l := nodes[i].left; l >= 0 {
			parent[l] = int32(i)
			parent[nodes[i].right] = int32(i)
			candidate[i] = true
		}
	}
	// Children always come after their parent, so one backward pass sums the
	// leaves of every subtree.
	for i := n - 1; i >= 0; i-- {
		if l := nodes[i].left; l >= 0 {
			r := nodes[i].right
			rBranch[i] = rBranch[l] + rBranch[r]
			nLeaves[i] = nLeaves[l] + nLeaves[r]
		} else {
			rBranch[i] = rNode[i]
			nLeaves[i] = 1
		}
	}
	var stack []int32
	for candidate[0] {
		weakest, effective := -1, math.MaxFloat64
		for i := range n {
			if !candidate[i] {
				continue
			}
			if a := (rNode[i] - rBranch[i]) / float64(nLeaves[i]-1); a < effective {
				weakest, effective = i, a
			}
		}
		if weakest < 0 || effective > alpha {
			break
		}
		// Collapse the weakest subtree.
		stack = append(stack[:0], nodes[weakest].left, nodes[weakest].right)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			candidate[i] = false
			if l := nodes[i].left; l >= 0 {
				stack = append(stack, l, nodes[i].right)
			}
		}
		candidate[weakest] = false
		nodes[weakest].left, nodes[weakest].right, nodes[weakest].feature = -1, -1, -1
		pruned := nLeaves[weakest] - 1
		diff := rNode[weakest] - rBranch[weakest]
		nLeaves[weakest] = 1
		rBranch[weakest] = rNode[weakest]
		for i := parent[weakest]; i >= 0; i = parent[i] {
			nLeaves[i] -= pruned
			rBranch[i] += diff
		}
	}
}
