#!/bin/sh
# Compare the tuning samplers (random, TPE, multivariate TPE) on the synthetic
# benchmark set (Branin, Hartmann-3, a log-scaled quadratic, two mixed
# categorical/conditional functions; 30 seeds) and on real datasets with
# 5-fold cross-validated scores (breast_cancer with logistic regression,
# diabetes with gradient boosting; 10 seeds), 40 trials each, and print the
# table: per problem, the mean number of trials to reach the target (the best
# 5% of random draws) and the mean best value after 40 trials.
# Usage: bench/tune/run.sh   (from anywhere; takes several minutes on 2 cores)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
go test -tags bench -run '^TestCompareSamplers$' -v -count=1 -timeout 60m ./internal/tune/
