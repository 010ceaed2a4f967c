package split

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"mlw.dev/frame"
)

// splitGroup keeps every value of col in one part. Groups are shuffled, then
// taken largest first (ties in shuffled order), and each goes to the part
// that is furthest below its target size, except that the last groups go to
// parts still empty when only enough are left to give each one group. Rows
// with a missing value form one group of their own, and a note says where it
// went.
func splitGroup(parts []Part, col frame.Column, name string, r Ratios, rng *rand.Rand) ([]Finding, error) {
	k := factorize(col)
	nGroups := k.n
	if k.missing > 0 {
		nGroups++ // missing is group k.n
	}
	size := make([]int, nGroups)
	for _, g := range k.codes {
		if g < 0 {
			g = int32(k.n)
		}
		size[g]++
	}
	order := rng.Perm(nGroups)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	var target [NumParts]float64
	var load [NumParts]int
	for p := range Part(NumParts) {
		target[p] = float64(len(parts)) * r.of(p)
	}
	emptyParts := 0
	for p := range Part(NumParts) {
		if r.of(p) > 0 {
			emptyParts++
		}
	}
	assign := make([]Part, nGroups)
	for k, g := range order {
		// When the groups left are just enough to give every empty part
		// one, they go to empty parts only.
		onlyEmpty := nGroups-k <= emptyParts
		best := -1
		for p := range NumParts {
			if r.of(Part(p)) == 0 || onlyEmpty && load[p] > 0 {
				continue
			}
			if best < 0 || target[p]-float64(load[p]) > target[best]-float64(load[best]) {
				best = p
			}
		}
		if load[best] == 0 && size[g] > 0 {
			emptyParts--
		}
		assign[g] = Part(best)
		load[best] += size[g]
	}
	for i, g := range k.codes {
		if g < 0 {
			g = int32(k.n)
		}
		parts[i] = assign[g]
	}
	if k.missing == 0 {
		return nil, nil
	}
	note := Finding{
		Check:    NoteMissingGroup,
		Severity: SeverityInfo,
		Column:   name,
		Part:     assign[k.n].String(),
		Count:    k.missing,
		Total:    len(parts),
		Share:    float64(k.missing) / float64(len(parts)),
	}
	for i, g := range k.codes {
		if g < 0 && len(note.Rows) < maxExamples {
			note.Rows = append(note.Rows, i)
		}
	}
	note.Message = fmt.Sprintf("%s no value in group column %q: they form one group, placed in %s",
		rowsHave(k.missing), name, note.Part)
	return []Finding{note}, nil
}

func rowsHave(n int) string {
	if n == 1 {
		return "1 row has"
	}
	return fmt.Sprintf("%d rows have", n)
}
