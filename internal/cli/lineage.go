package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"mlw.dev/internal/deploy"
	"mlw.dev/internal/mlw"
	"mlw.dev/internal/store"
)

// lineageNode is one step of a lineage chain.
type lineageNode struct {
	Kind    string            `json:"kind"` // source, dataset, split, run, model, deployment
	Ref     string            `json:"ref"`
	Detail  map[string]string `json:"detail,omitempty"`
	Derived []*lineageNode    `json:"derived,omitempty"` // downstream only
}

func (app *App) lineageCommand() *cobra.Command {
	var (
		asJSON, downstream bool
	)
	c := &cobra.Command{
		Use:   "lineage NAME@N",
		Short: "Walk from a model version back to the bytes it was trained on, or from data to the models that used it",
		Long: `Print the chain that produced a model version: the source file's hash, the
dataset version, the cleaning recipes that derived it from its parents, the
split, the run (model, params, code commit, who, when), the version, and the
endpoints that served it (revisions, variant, since when, live or not).

With --downstream and a dataset version DATASET@N: the versions derived from
it, its splits, the runs that trained on it, the model versions registered
from them and where they were deployed — which models used this data and
which endpoints serve them.

JSON (--json): upstream: a list of nodes from the source to the model, each
with kind, ref, detail; downstream: a tree of nodes with derived children.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			e, err := app.open(c.Context())
			if err != nil {
				return err
			}
			defer e.Close()
			if downstream {
				v, err := e.datasets().Resolve(c.Context(), args[0])
				if err != nil {
					return err
				}
				root, err := e.downstream(c.Context(), v)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(app.Out, root)
				}
				printTree(app, root, "")
				return nil
			}
			chain, err := e.upstream(c.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(app.Out, chain)
			}
			for i, n := range chain {
				prefix := "   "
				if i > 0 {
					prefix = "└─ "
				}
				fmt.Fprintf(app.Out, "%s%s%-8s %s  %s\n", strings.Repeat("   ", max(0, i-1)), prefix, n.Kind, n.Ref, detailText(n.Detail))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&downstream, "downstream", false, "from a dataset version to everything that used it")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func detailText(d map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(d) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

// upstream returns the chain from the source file to a model version.
func (e *env) upstream(ctx context.Context, ref string) ([]*lineageNode, error) {
	v, err := e.registry().Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	run, err := e.store.GetRun(ctx, v.RunID)
	if err != nil {
		return nil, err
	}
	var chain []*lineageNode
	if run.DatasetVersionID != 0 {
		dv, err := e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{ID: run.DatasetVersionID})
		if err != nil {
			return nil, err
		}
		var datasets []*mlw.DatasetVersion
		for cur := dv; ; {
			datasets = append([]*mlw.DatasetVersion{cur}, datasets...)
			if cur.ParentID == 0 {
				break
			}
			if cur, err = e.store.GetDatasetVersion(ctx, &store.GetDatasetVersionParams{ID: cur.ParentID}); err != nil {
				return nil, err
			}
		}
		root := datasets[0]
		chain = append(chain, &lineageNode{Kind: "source", Ref: root.SourcePath, Detail: map[string]string{"sha256": root.Hash, "format": root.Format}})
		for _, d := range datasets {
			detail := map[string]string{"sha256": d.Hash[:12], "rows": fmt.Sprint(d.Rows), "by": d.CreatedBy, "at": d.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
			if len(d.Recipe) > 0 {
				detail["recipe"] = compactJSON(d.Recipe)
			}
			chain = append(chain, &lineageNode{Kind: "dataset", Ref: d.Ref().String(), Detail: detail})
		}
	}
	if run.SplitID != "" {
		if s, err := e.store.GetSplit(ctx, run.SplitID); err == nil {
			chain = append(chain, &lineageNode{Kind: "split", Ref: s.ID, Detail: map[string]string{"strategy": s.Strategy, "seed": fmt.Sprint(s.Seed),
				"train": fmt.Sprint(s.Counts.Train), "validation": fmt.Sprint(s.Counts.Validation), "test": fmt.Sprint(s.Counts.Test)}})
		}
	}
	rd := map[string]string{"model": run.Model, "by": run.CreatedBy, "at": run.StartedAt.UTC().Format("2006-01-02T15:04:05Z"), "params": compactParams(run.Params)}
	if run.GitCommit != "" {
		rd["commit"] = run.GitCommit
	}
	chain = append(chain, &lineageNode{Kind: "run", Ref: run.ID, Detail: rd})
	chain = append(chain, &lineageNode{Kind: "model", Ref: v.Ref().String(), Detail: map[string]string{"artifact": v.ArtifactKey, "by": v.CreatedBy, "status": v.Status}})
	deps, err := e.deploymentsOf(ctx, v)
	if err != nil {
		return nil, err
	}
	return append(chain, deps...), nil
}

// deploymentsOf returns one node per endpoint that served (or mirrored) a
// model version, with the revisions that did.
func (e *env) deploymentsOf(ctx context.Context, v *mlw.ModelVersion) ([]*lineageNode, error) {
	eps, err := e.store.ListDeployments(ctx, &store.ListDeploymentsParams{})
	if err != nil {
		return nil, err
	}
	var nodes []*lineageNode
	for _, latest := range eps {
		revs, err := e.store.ListDeployments(ctx, &store.ListDeploymentsParams{Endpoint: latest.Endpoint})
		if err != nil {
			return nil, err
		}
		var ids []string
		var first, last *mlw.Deployment
		roles := map[string]bool{}
		for _, d := range revs {
			spec, err := deploy.ParseSpec(d)
			if err != nil {
				return nil, err
			}
			for _, vs := range slices.Concat(spec.Variants, spec.Shadows) {
				if vs.Model == v.Name && vs.Version == v.Version {
					ids = append(ids, fmt.Sprint(d.Revision))
					roles[vs.Name] = true
					if first == nil {
						first = d
					}
					last = d
					break
				}
			}
		}
		if first == nil {
			continue
		}
		detail := map[string]string{"revisions": strings.Join(ids, ","), "as": strings.Join(slices.Sorted(maps.Keys(roles)), ","),
			"from": first.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), "live": "no"}
		if last.Revision == latest.Revision && latest.State != deploy.StateUndeployed {
			detail["live"] = "yes"
		}
		nodes = append(nodes, &lineageNode{Kind: "deployment", Ref: "endpoint/" + latest.Endpoint, Detail: detail})
	}
	return nodes, nil
}

func compactJSON(b json.RawMessage) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func compactParams(p map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(p) {
		parts = append(parts, k+":"+p[k])
	}
	return strings.Join(parts, ",")
}

// downstream returns the tree of what was made from a dataset version.
func (e *env) downstream(ctx context.Context, v *mlw.DatasetVersion) (*lineageNode, error) {
	node := &lineageNode{Kind: "dataset", Ref: v.Ref().String(), Detail: map[string]string{"sha256": v.Hash[:12], "rows": fmt.Sprint(v.Rows)}}
	children, err := e.store.ListDatasetVersions(ctx, &store.ListDatasetVersionsParams{ParentID: v.ID})
	if err != nil {
		return nil, err
	}
	for _, ch := range children {
		sub, err := e.downstream(ctx, ch)
		if err != nil {
			return nil, err
		}
		node.Derived = append(node.Derived, sub)
	}
	splits, err := e.store.ListSplits(ctx, &store.ListSplitsParams{DatasetVersionID: v.ID})
	if err != nil {
		return nil, err
	}
	for _, s := range splits {
		sn := &lineageNode{Kind: "split", Ref: s.ID, Detail: map[string]string{"strategy": s.Strategy}}
		runs, err := e.store.ListRuns(ctx, &store.ListRunsParams{SplitID: s.ID, TopLevel: true})
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.Kind != "train" && r.Kind != "baseline" {
				continue
			}
			rn := &lineageNode{Kind: "run", Ref: r.ID, Detail: map[string]string{"model": r.Model, "status": string(r.Status)}}
			versions, err := e.store.ListModelVersions(ctx, &store.ListModelVersionsParams{RunID: r.ID})
			if err != nil {
				return nil, err
			}
			for _, mv := range versions {
				mn := &lineageNode{Kind: "model", Ref: mv.Ref().String(), Detail: map[string]string{"status": mv.Status}}
				if mn.Derived, err = e.deploymentsOf(ctx, mv); err != nil {
					return nil, err
				}
				rn.Derived = append(rn.Derived, mn)
			}
			sn.Derived = append(sn.Derived, rn)
		}
		node.Derived = append(node.Derived, sn)
	}
	return node, nil
}

func printTree(app *App, n *lineageNode, indent string) {
	fmt.Fprintf(app.Out, "%s%-8s %s  %s\n", indent, n.Kind, n.Ref, detailText(n.Detail))
	for _, ch := range n.Derived {
		printTree(app, ch, indent+"  ")
	}
}
