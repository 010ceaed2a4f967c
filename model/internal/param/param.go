// Package param parses and formats the hyperparameter values of the
// estimators (SetParam takes text, Params gives it back), so that every
// algorithm accepts and prints them alike.
package param

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Int parses an integer of at least lo.
func Int(s string, lo int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < lo {
		return 0, fmt.Errorf("want an integer >= %d", lo)
	}
	return v, nil
}

// Float parses a finite number.
func Float(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("want a finite number")
	}
	return v, nil
}

// Positive parses a finite number above 0.
func Positive(s string) (float64, error) {
	v, err := Float(s)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("want a finite number > 0")
	}
	return v, nil
}

// Bool parses true/false, 1/0, yes/no or on/off, in any case.
func Bool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("want true or false")
}

// Format writes a number as its shortest exact text.
func Format(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
