package feature

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"mlw.dev/frame"
	"mlw.dev/model"
)

// Transform applies the pipeline to a frame and returns the feature matrix.
// Columns are found by name (extra columns are ignored); a missing column or a
// column of an incompatible type is an error naming it.
func (p *Pipeline) Transform(f *frame.Frame) (model.Matrix, error) {
	n := f.NumRows()
	m := model.NewMatrix(n, len(p.Outputs))
	for k := range p.Inputs {
		in := &p.Inputs[k]
		col := f.Column(in.Name)
		if col == nil {
			return model.Matrix{}, fmt.Errorf("column %s is missing (the model was trained with it)", in.Name)
		}
		if err := p.transformColumn(m, in, col); err != nil {
			return model.Matrix{}, err
		}
	}
	return m, nil
}

func (p *Pipeline) transformColumn(m model.Matrix, in *Input, col frame.Column) error {
	cols := m.Cols
	switch {
	case in.Encoding != "":
		var label labelFunc
		switch c := col.(type) {
		case *frame.Categorical:
			// Translate the frame's dictionary once, not per row.
			codes := make([]int, len(c.Categories()))
			for j, s := range c.Categories() {
				codes[j] = in.code(s)
			}
			raw := c.Codes()
			for i, code := range raw {
				cat := -1
				if code >= 0 {
					cat = codes[code]
				}
				in.encodeCode(m.Data[i*cols+in.Offset:i*cols+in.Offset+in.Width], cat)
			}
			return nil
		case *frame.Numeric:
			label = numericLabels(c)
		case *frame.Bool:
			label = boolLabels(c)
		default:
			return fmt.Errorf("column %s is %s, but the model was trained on %s values", in.Name, col.Type(), in.Type)
		}
		for i := range col.Len() {
			s, ok := label(i)
			cat := -1
			if ok {
				cat = in.code(s)
			}
			in.encodeCode(m.Data[i*cols+in.Offset:i*cols+in.Offset+in.Width], cat)
		}
	case in.Parts != nil:
		c, ok := col.(*frame.Datetime)
		if !ok {
			return fmt.Errorf("column %s is %s, but the model was trained on datetime values", in.Name, col.Type())
		}
		var buf [4]float64
		for i, ns := range c.Values() {
			in.encodeTime(m.Data[i*cols+in.Offset:i*cols+in.Offset+in.Width], ns, buf[:])
		}
	default:
		c, ok := col.(*frame.Numeric)
		if !ok {
			return fmt.Errorf("column %s is %s, but the model was trained on numbers", in.Name, col.Type())
		}
		for i, v := range c.Values() {
			in.encodeNumber(m.Data[i*cols+in.Offset:i*cols+in.Offset+in.Width], 0, v)
		}
	}
	return nil
}

// code returns the category's code, the "other" code for an unknown category
// when an other bucket exists, or -1.
func (in *Input) code(s string) int {
	if j, ok := in.index[s]; ok {
		return j
	}
	if in.Other {
		return len(in.Categories)
	}
	return -1
}

// encodeCode writes a category code (-1: missing, or unknown without an other
// bucket) into the input's outputs: a one-hot row (all zeros for -1) or the
// code (NaN for -1, which trees send along their learned missing direction).
func (in *Input) encodeCode(dst []float64, cat int) {
	switch in.Encoding {
	case OneHot:
		for j := range dst {
			dst[j] = 0
		}
		if cat >= 0 {
			dst[cat] = 1
		}
	default: // ordinal, native
		if cat < 0 {
			dst[0] = math.NaN()
		} else {
			dst[0] = float64(cat)
		}
	}
}

// encodeNumber writes numeric part k of an input.
func (in *Input) encodeNumber(dst []float64, k int, v float64) {
	missing := math.IsNaN(v)
	if missing && in.Impute {
		v = in.Fill[k]
	}
	if in.Std != nil && !math.IsNaN(v) {
		v = (v - in.Mean[k]) / in.Std[k]
	}
	dst[k] = v
	if in.Indicator {
		dst[len(dst)-1] = b2f(missing)
	}
}

// encodeTime writes the datetime parts of an input; buf holds 4 values.
func (in *Input) encodeTime(dst []float64, ns int64, buf []float64) {
	missing := ns == frame.NaT
	if missing {
		for k := range buf {
			buf[k] = math.NaN()
		}
	} else {
		t := time.Unix(0, ns).UTC()
		buf[0], buf[1], buf[2], buf[3] = float64(t.Year()), float64(t.Month()), float64(t.Weekday()), float64(t.Hour())
	}
	for k := range in.Parts {
		in.encodeNumber(dst, k, buf[k])
	}
	if in.Indicator {
		dst[len(dst)-1] = b2f(missing)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Value is one input value of a live row: a number, a string (category, boolean
// or datetime text), or missing.
type Value struct {
	Num     float64
	Str     string
	IsStr   bool
	Missing bool
}

// TransformRowTo encodes one row given as one Value per input (in the order of
// p.Inputs) into dst (len NumFeatures), allocating nothing. Strings in numeric
// inputs are parsed; an impossible value gives an error naming the column.
func (p *Pipeline) TransformRowTo(dst []float64, row []Value) error {
	if len(row) != len(p.Inputs) {
		return fmt.Errorf("row has %d values, the model expects %d", len(row), len(p.Inputs))
	}
	var buf [4]float64
	for k := range p.Inputs {
		in := &p.Inputs[k]
		v := row[k]
		out := dst[in.Offset : in.Offset+in.Width]
		switch {
		case in.Encoding != "":
			cat := -1
			if !v.Missing {
				s := v.Str
				if !v.IsStr {
					s = formatNumber(v.Num)
				}
				cat = in.code(s)
			}
			in.encodeCode(out, cat)
		case in.Parts != nil:
			ns := int64(frame.NaT)
			if !v.Missing {
				if !v.IsStr {
					return fmt.Errorf("column %s: want a date-time string, got a number", in.Name)
				}
				t, ok := parseTime(v.Str)
				if !ok {
					return fmt.Errorf("column %s: %q is not an ISO 8601 date-time", in.Name, v.Str)
				}
				ns = t.UnixNano()
			}
			in.encodeTime(out, ns, buf[:])
		default:
			x := v.Num
			if v.Missing || v.IsStr && strings.TrimSpace(v.Str) == "" {
				x = math.NaN() // an empty string is a missing number
			} else if v.IsStr {
				f, err := strconv.ParseFloat(v.Str, 64)
				if err != nil {
					return fmt.Errorf("column %s: %q is not a number", in.Name, v.Str)
				}
				x = f
			}
			if math.IsInf(x, 0) {
				return fmt.Errorf("column %s: infinite value", in.Name)
			}
			in.encodeNumber(out, 0, x)
		}
	}
	return nil
}

// parseTime parses ISO 8601 date-times without allocating: 2006-01-02,
// optionally followed by 'T' or ' ' and 15:04, 15:04:05 or 15:04:05.999999999,
// optionally followed by Z or an offset ±07:00 / ±0700. No offset means UTC.
func parseTime(s string) (time.Time, bool) {
	num := func(s string) (int, bool) {
		if s == "" {
			return 0, false
		}
		n := 0
		for i := 0; i < len(s); i++ {
			d := s[i] - '0'
			if d > 9 {
				return 0, false
			}
			n = n*10 + int(d)
		}
		return n, true
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	var h, mi, sec, nsec, offset int
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != ' ' || len(rest) < 6 || rest[3] != ':' {
			return time.Time{}, false
		}
		var okh, okm bool
		h, okh = num(rest[1:3])
		mi, okm = num(rest[4:6])
		if !okh || !okm || h > 23 || mi > 59 {
			return time.Time{}, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			var oks bool
			if sec, oks = num(rest[1:3]); !oks || sec > 60 {
				return time.Time{}, false
			}
			rest = rest[3:]
			if len(rest) > 1 && rest[0] == '.' {
				j := 1
				for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
					j++
				}
				frac := rest[1:j]
				if len(frac) > 9 {
					frac = frac[:9]
				}
				n, _ := num(frac)
				for k := len(frac); k < 9; k++ {
					n *= 10
				}
				nsec, rest = n, rest[j:]
			}
		}
		switch {
		case rest == "" || rest == "Z":
		case (rest[0] == '+' || rest[0] == '-') && (len(rest) == 6 && rest[3] == ':' || len(rest) == 5):
			oh, okh := num(rest[1:3])
			om, okm := num(rest[len(rest)-2:])
			if !okh || !okm {
				return time.Time{}, false
			}
			offset = oh*3600 + om*60
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return time.Time{}, false
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // e.g. February 30
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}
