package split

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"

	"mlw.dev/frame"
)

// splitStratified splits each class of col (missing values are a class of
// their own) in the ratios. Classes with fewer rows than there are parts
// with a positive ratio cannot reach every part: their rows go to train,
// then test, then validation, one row each, and a note names them. The other
// classes are cut by roundTable, so that every class has, in every part,
// the floor or the ceiling of its rows times the part's ratio, and every
// part the floor or the ceiling of its share of those classes' rows.
func splitStratified(parts []Part, col frame.Column, name string, r Ratios, rng *rand.Rand) ([]Finding, error) {
	k := factorize(col)
	nClasses := k.n
	if k.missing > 0 {
		nClasses++ // missing is class k.n
	}
	classOf := func(i int) int {
		if c := k.codes[i]; c >= 0 {
			return int(c)
		}
		return k.n
	}
	// Bucket the rows by class, each class in row order.
	start := make([]int, nClasses+1)
	for i := range parts {
		start[classOf(i)+1]++
	}
	for c := range nClasses {
		start[c+1] += start[c]
	}
	rows := make([]int, len(parts))
	fill := append([]int(nil), start[:nClasses]...)
	for i := range parts {
		c := classOf(i)
		rows[fill[c]] = i
		fill[c]++
	}
	// Small-class placement order: train, test, then validation.
	var active []Part
	for _, p := range []Part{Train, Test, Validation} {
		if r.of(p) > 0 {
			active = append(active, p)
		}
	}
	var small []int
	var regular []int
	for c := range nClasses {
		class := rows[start[c]:start[c+1]]
		rng.Shuffle(len(class), func(i, j int) { class[i], class[j] = class[j], class[i] })
		if len(class) < len(active) {
			small = append(small, c)
			for j, row := range class {
				parts[row] = active[j]
			}
		} else {
			regular = append(regular, c)
		}
	}
	n := make([]int, len(regular))
	for j, c := range regular {
		n[j] = start[c+1] - start[c]
	}
	order := rng.Perm(len(regular))
	table := roundTable(n, [NumParts]float64{r.Train, r.Validation, r.Test}, order)
	for j, c := range regular {
		class := rows[start[c]:start[c+1]]
		at := 0
		for p := range Part(NumParts) {
			for _, row := range class[at : at+table[j][p]] {
				parts[row] = p
			}
			at += table[j][p]
		}
	}
	if len(small) == 0 {
		return nil, nil
	}
	label := func(c int) string {
		if c == k.n {
			return "(missing)"
		}
		return k.label(col, int32(c))
	}
	note := Finding{
		Check:    NoteSmallClass,
		Severity: SeverityWarning,
		Column:   name,
	}
	var list []string
	for _, c := range small {
		size := start[c+1] - start[c]
		note.Count += size
		if len(note.Values) < maxValues {
			note.Values = append(note.Values, label(c))
			list = append(list, fmt.Sprintf("%s (%s)", quote(label(c)), plural(size, "row")))
		}
		for _, row := range rows[start[c]:start[c+1]] {
			if len(note.Rows) < maxExamples {
				note.Rows = append(note.Rows, row)
			}
		}
	}
	note.Total = len(parts)
	note.Share = float64(note.Count) / float64(len(parts))
	more := ""
	if len(small) > len(list) {
		more = fmt.Sprintf(" and %d more", len(small)-len(list))
	}
	names := make([]string, len(active))
	for j, p := range active {
		names[j] = p.String()
	}
	note.Message = fmt.Sprintf("%s of %s %s fewer rows than the %d parts and cannot appear in every part; "+
		"their rows went to %s, in that order, one row each: %s%s",
		plural(len(small), "class"), quote(name), hasHave(len(small)), len(active),
		strings.Join(names, ", "), strings.Join(list, ", "), more)
	return []Finding{note}, nil
}

// roundTable rounds the table a[c][p] = n[c]*r[p] to integers x[c][p], each
// the floor or the ceiling of a[c][p] (to within 1e-9), with every row
// summing to n[c] and every column to the floor or the ceiling of the
// column's sum. Such a rounding always exists (controlled rounding of a
// two-way table: the fractional table is a feasible flow in a network with
// integer bounds). It is found as a flow: class c has d[c] = n[c] - Σ floor
// units to place, at most one per part with a fractional remainder, and
// part p must receive between the floor and the ceiling of its column's
// fractional sum. Classes are served in the given order; a class that finds
// every eligible part full moves another class's unit along an augmenting
// path.
func roundTable(n []int, r [NumParts]float64, order []int) [][NumParts]int {
	const eps = 1e-9
	x := make([][NumParts]int, len(n))
	elig := make([]uint8, len(n))
	chosen := make([]uint8, len(n))
	rem := make([]int, len(n))
	var fracSum [NumParts]float64
	var positive uint8
	for p := range NumParts {
		if r[p] > 0 {
			positive |= 1 << p
		}
	}
	for c, nc := range n {
		rem[c] = nc
		for p := range NumParts {
			a := float64(nc) * r[p]
			f := math.Floor(a + eps)
			x[c][p] = int(f)
			rem[c] -= int(f)
			if fr := a - f; fr > eps {
				elig[c] |= 1 << p
				fracSum[p] += fr
			}
		}
		if rem[c] > bits.OnesCount8(elig[c]) { // only through rounding noise
			elig[c] = positive
		}
	}
	var lo, hi, load [NumParts]int
	for p := range NumParts {
		lo[p] = int(math.Floor(fracSum[p] + 1e-6))
		hi[p] = int(math.Ceil(fracSum[p] - 1e-6))
	}
	// place gives class c one more unit within caps, directly or along an
	// augmenting path, and reports whether it could.
	place := func(c int, caps *[NumParts]int) bool {
		free := elig[c] &^ chosen[c]
		best := -1
		for p := range NumParts {
			if free&(1<<p) != 0 && load[p] < caps[p] && (best < 0 || caps[p]-load[p] > caps[best]-load[best]) {
				best = p
			}
		}
		if best >= 0 {
			chosen[c] |= 1 << best
			load[best]++
			rem[c]--
			return true
		}
		// Breadth-first search over the (full) parts: from part u we reach
		// part q through a class w holding a unit in u that could hold it
		// in q instead.
		var prevPart, prevClass [NumParts]int
		var visited uint8
		var queue []int
		for p := range NumParts {
			if free&(1<<p) != 0 {
				visited |= 1 << p
				prevPart[p], prevClass[p] = -1, c
				queue = append(queue, p)
			}
		}
		for len(queue) > 0 {
			u := queue[0]
			queue = queue[1:]
			for q := range NumParts {
				if visited&(1<<q) != 0 {
					continue
				}
				w := -1
				for v := range n {
					if chosen[v]&(1<<u) != 0 && elig[v]&(1<<q) != 0 && chosen[v]&(1<<q) == 0 {
						w = v
						break
					}
				}
				if w < 0 {
					continue
				}
				visited |= 1 << q
				prevPart[q], prevClass[q] = u, w
				if load[q] < caps[q] {
					load[q]++
					for at := q; ; at = prevPart[at] {
						if prevPart[at] < 0 {
							chosen[c] |= 1 << at
							rem[c]--
							return true
						}
						chosen[prevClass[at]] ^= 1<<prevPart[at] | 1<<at
					}
				}
				queue = append(queue, q)
			}
		}
		return false
	}
	for _, caps := range []*[NumParts]int{&lo, &hi} {
		for _, c := range order {
			for rem[c] > 0 && place(c, caps) {
			}
		}
	}
	// Every unit is placed by now; should rounding noise leave one over,
	// it goes to the least loaded free part.
	for _, c := range order {
		for rem[c] > 0 {
			free := positive &^ chosen[c]
			pick := free
			if pick == 0 {
				pick = positive
			}
			best := -1
			for p := range NumParts {
				if pick&(1<<p) != 0 && (best < 0 || load[p] < load[best]) {
					best = p
				}
			}
			if free != 0 {
				chosen[c] |= 1 << best
			} else {
				x[c][best]++
			}
			load[best]++
			rem[c]--
		}
	}
	for c := range n {
		for p := range NumParts {
			if chosen[c]&(1<<p) != 0 {
				x[c][p]++
			}
		}
	}
	return x
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "s") {
		return fmt.Sprintf("%d %ses", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
