// Package project reads and checks a project's mlw.yaml: the ML Project Canvas
// (the problem definition the rest of the lifecycle is measured against) and the
// project configuration (data roles, evaluation, monitoring and retraining policies).
package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"

	"mlw.dev/internal/expect"
	"mlw.dev/internal/mlw"
)

// FileName is the name of the project file.
const FileName = "mlw.yaml"

// DirName is the name of the project's local state directory (store and artifacts).
const DirName = ".mlw"

// Tasks.
const (
	Classification = "classification"
	Regression     = "regression"
)

// Serving modes of the canvas constraints.
const (
	ModeRealtime = "realtime"
	ModeBatch    = "batch"
)

// Config is the content of mlw.yaml.
type Config struct {
	Name       string     `yaml:"name" json:"name"`
	Task       string     `yaml:"task" json:"task"`
	Store      string     `yaml:"store,omitempty" json:"store,omitempty"`
	Artifacts  string     `yaml:"artifacts,omitempty" json:"artifacts,omitempty"`
	Canvas     Canvas     `yaml:"canvas" json:"canvas"`
	Data       Data       `yaml:"data" json:"data"`
	Evaluation Evaluation `yaml:"evaluation" json:"evaluation"`
	Monitoring Monitoring `yaml:"monitoring" json:"monitoring"`
	Retrain    Retrain    `yaml:"retrain" json:"retrain"`
}

// Canvas is the ML Project Canvas.
type Canvas struct {
	BusinessProblem BusinessProblem `yaml:"business_problem" json:"business_problem"`
	IsMLProblem     IsMLProblem     `yaml:"is_ml_problem" json:"is_ml_problem"`
	MLFormulation   MLFormulation   `yaml:"ml_formulation" json:"ml_formulation"`
	SuccessMetrics  SuccessMetrics  `yaml:"success_metrics" json:"success_metrics"`
	Constraints     Constraints     `yaml:"constraints" json:"constraints"`
	Timeline        Timeline        `yaml:"timeline" json:"timeline"`
	Resources       Resources       `yaml:"resources" json:"resources"`
	Risks           []Risk          `yaml:"risks" json:"risks"`
}

// BusinessProblem says what hurts, whom, and how it is handled today.
type BusinessProblem struct {
	Problem         string `yaml:"problem" json:"problem"`
	Impacted        string `yaml:"impacted" json:"impacted"`
	CurrentSolution string `yaml:"current_solution" json:"current_solution"`
}

// IsMLProblem records the answers to "is this an ML problem at all?".
type IsMLProblem struct {
	NeedsPatterns string `yaml:"needs_patterns" json:"needs_patterns"`
	RulesTried    string `yaml:"rules_tried" json:"rules_tried"`
	DataAvailable string `yaml:"data_available" json:"data_available"`
}

// MLFormulation states the learning problem.
type MLFormulation struct {
	Inputs []string `yaml:"inputs" json:"inputs"`
	Output string   `yaml:"output" json:"output"`
	Type   string   `yaml:"type" json:"type"`
}

// SuccessMetrics ties the business goal to measurable technical targets.
type SuccessMetrics struct {
	Business  string         `yaml:"business" json:"business"`
	Technical []MetricTarget `yaml:"technical" json:"technical"`
}

// MetricTarget is a technical success metric with its bounds (nil: unbounded).
type MetricTarget struct {
	Metric string   `yaml:"metric" json:"metric"`
	Min    *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max    *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// Constraints are the limits the solution must respect.
type Constraints struct {
	LatencyP99Ms     float64  `yaml:"latency_p99_ms" json:"latency_p99_ms"`
	Mode             string   `yaml:"mode" json:"mode"`
	Budget           string   `yaml:"budget" json:"budget"`
	Compliance       []string `yaml:"compliance" json:"compliance"`
	Interpretability string   `yaml:"interpretability" json:"interpretability"`
}

// Timeline is the planned duration of each phase, in weeks.
type Timeline struct {
	DiscoveryWeeks   float64 `yaml:"discovery_weeks" json:"discovery_weeks"`
	DevelopmentWeeks float64 `yaml:"development_weeks" json:"development_weeks"`
	DeploymentWeeks  float64 `yaml:"deployment_weeks" json:"deployment_weeks"`
}

// Resources are what the project has to work with.
type Resources struct {
	Data           string `yaml:"data" json:"data"`
	Team           string `yaml:"team" json:"team"`
	Infrastructure string `yaml:"infrastructure" json:"infrastructure"`
}

// Risk is a risk with its mitigation.
type Risk struct {
	Risk       string `yaml:"risk" json:"risk"`
	Mitigation string `yaml:"mitigation" json:"mitigation"`
}

// Data holds the default column roles of the project's datasets and the
// expectations every version must meet ('mlw data validate').
type Data struct {
	mlw.Roles    `yaml:",inline" json:",inline"`
	Expectations *expect.Expectations `yaml:"expectations,omitempty" json:"expectations,omitempty"`
}

// Evaluation configures how models are judged.
type Evaluation struct {
	PrimaryMetric string  `yaml:"primary_metric" json:"primary_metric"`
	Costs         Costs   `yaml:"costs" json:"costs"`
	MaxSegmentGap float64 `yaml:"max_segment_gap" json:"max_segment_gap"`
	// MaxECE is the largest expected calibration error the gate accepts for a
	// probabilistic model (0 means 0.1).
	MaxECE float64 `yaml:"max_ece,omitempty" json:"max_ece,omitempty"`
	// Promotion sets what a new champion must gain over the current one.
	Promotion Promotion `yaml:"promotion,omitempty" json:"promotion,omitempty"`
}

// Promotion is the improvement over the current champion a candidate needs.
type Promotion struct {
	// MinImprovement is the least absolute gain in the primary metric.
	MinImprovement float64 `yaml:"min_improvement,omitempty" json:"min_improvement,omitempty"`
	// MinRelativeImprovement is the least relative gain (0.02 = 2%).
	MinRelativeImprovement float64 `yaml:"min_relative_improvement,omitempty" json:"min_relative_improvement,omitempty"`
}

// Costs are the business costs of each kind of error, in any one unit.
type Costs struct {
	FalsePositive float64 `yaml:"false_positive" json:"false_positive"`
	FalseNegative float64 `yaml:"false_negative" json:"false_negative"`
}

// Monitoring configures drift detection and alerting.
type Monitoring struct {
	Drift     DriftConfig `yaml:"drift" json:"drift"`
	Alerts    []string    `yaml:"alerts" json:"alerts"`
	Retention string      `yaml:"retention,omitempty" json:"retention,omitempty"`
	// Webhook receives alert events as JSON ({"alerts": [...]}), with retries.
	Webhook string `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

// DriftConfig chooses drift methods and thresholds.
type DriftConfig struct {
	Numeric      string  `yaml:"numeric" json:"numeric"`
	Categorical  string  `yaml:"categorical" json:"categorical"`
	Threshold    float64 `yaml:"threshold" json:"threshold"`
	DatasetShare float64 `yaml:"dataset_share" json:"dataset_share"`
}

// Retrain is the retraining policy.
type Retrain struct {
	Schedule      string       `yaml:"schedule" json:"schedule"`
	OnDrift       bool         `yaml:"on_drift" json:"on_drift"`
	OnDegradation *Degradation `yaml:"on_degradation,omitempty" json:"on_degradation,omitempty"`
	OnNewData     bool         `yaml:"on_new_data" json:"on_new_data"`
	// Strategy is how a retrained challenger is deployed (default canary).
	Strategy string `yaml:"strategy,omitempty" json:"strategy,omitempty"`
}

// Degradation triggers retraining when an online metric falls below a level.
type Degradation struct {
	Metric string  `yaml:"metric" json:"metric"`
	Below  float64 `yaml:"below" json:"below"`
}

// Project is a loaded project: its directory, its file's bytes and its config.
type Project struct {
	Dir    string
	Path   string // path of mlw.yaml
	Source []byte
	Config Config
}

// StateDir returns the project's .mlw directory.
func (p *Project) StateDir() string { return filepath.Join(p.Dir, DirName) }

// Load reads and decodes the mlw.yaml at path. Malformed YAML, unknown fields and
// wrong types give an EINVALID error naming the file, line and field.
func Load(path string) (*Project, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, mlw.Errorf(mlw.ENOTFOUND, "%s not found", path).WithHint("mlw init --name NAME creates a project")
		}
		return nil, mlw.Errorf(mlw.EINVALID, "read %s: %v", path, errors.Unwrap(err))
	}
	cfg, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	return &Project{Dir: filepath.Dir(abs), Path: abs, Source: src, Config: *cfg}, nil
}

// Parse decodes mlw.yaml content; name is used in error messages.
func Parse(name string, src []byte) (*Config, error) {
	var cfg Config
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, mlw.Errorf(mlw.EINVALID, "%s: empty file", name)
	}
	if err := yaml.UnmarshalWithOptions(src, &cfg, yaml.Strict()); err != nil {
		return nil, yamlError(name, err)
	}
	return &cfg, nil
}

// yamlError turns a go-yaml error into "FILE line L column C: message".
func yamlError(name string, err error) error {
	var te interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &te) && te.GetToken() != nil && te.GetToken().Position != nil {
		pos := te.GetToken().Position
		msg := te.GetMessage()
		msg = strings.ReplaceAll(msg, "Go struct field ", "field ")
		msg = strings.ReplaceAll(msg, "project.", "")
		return mlw.Errorf(mlw.EINVALID, "%s line %d column %d: %s", name, pos.Line, pos.Column, msg)
	}
	return mlw.Errorf(mlw.EINVALID, "%s: %v", name, err)
}

// Find returns the path of the mlw.yaml in dir or its nearest parent that has one.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	for d := abs; ; {
		p := filepath.Join(d, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", mlw.Errorf(mlw.ENOTFOUND, "no %s in %s or any parent directory", FileName, abs).
				WithHint("mlw init --name NAME creates a project, or pass --project DIR")
		}
		d = parent
	}
}

// LineOf returns the line of the YAML node at a path such as
// "$.canvas.success_metrics.technical[0].min", or 0 when it is not in the file.
func LineOf(src []byte, path string) int {
	p, err := yaml.PathString(path)
	if err != nil {
		return 0
	}
	n, err := p.ReadNode(bytes.NewReader(src))
	if err != nil || n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 0
	}
	return n.GetToken().Position.Line
}
