package quickstart

// ProjectYAML is the mlw.yaml of the quickstart project: the canvas of a ticket
// deflection project, filled in as a team would after discovery.
const ProjectYAML = `# mlw quickstart project: ticket deflection for an e-commerce support team.
name: ticket-deflection
task: classification

canvas:
  business_problem:
    problem: "Support agents spend 40% of their time on tickets that the help centre already answers; first replies take 26 hours on average."
    impacted: "Customers waiting for answers, and the 35 support agents in three regions."
    current_solution: "Every ticket goes to the agent queue; a keyword macro tags shipping questions, catching about a third of them."
  is_ml_problem:
    needs_patterns: "Whether a ticket can be resolved by self-service depends on category, channel, customer history and order together; the keyword macro misses most of it."
    rules_tried: "Keyword macro on 'where is my order': 31% recall at 70% precision on last quarter's tickets."
    data_available: "12 months of tickets with their resolution outcome (about 6,000 sampled), exported nightly from the helpdesk."
  ml_formulation:
    inputs: [category, channel, text_length, customer_tenure_months, order_value, region]
    output: "Probability that the ticket is resolved without an agent, used to offer self-service answers first."
    type: classification
  success_metrics:
    business: "Deflect 15% of tickets from the agent queue while keeping customer satisfaction at or above 4.2 of 5."
    technical:
      - {metric: roc_auc, min: 0.70}
      - {metric: precision, min: 0.60}
  constraints:
    latency_p99_ms: 50
    mode: realtime
    budget: "One engineer for a quarter; serving on the existing 2-core API hosts."
    compliance: [GDPR]
    interpretability: "Support leads must see why a ticket was routed to self-service (feature importance per segment)."
  timeline:
    discovery_weeks: 2
    development_weeks: 6
    deployment_weeks: 2
  resources:
    data: "Helpdesk export (owner: support operations) and order database (owner: commerce platform)."
    team: "One ML engineer, one support lead as domain expert, part-time data engineer."
    infrastructure: "Training on a laptop; serving with mlw serve beside the helpdesk API."
  risks:
    - {risk: "Customers who need a human are sent to self-service and churn.", mitigation: "High precision target, an always-visible 'talk to an agent' button, weekly review of complaints."}
    - {risk: "Ticket mix drifts after product launches.", mitigation: "Drift monitoring on every feature and retraining when it fires."}
    - {risk: "The APAC region is served worse.", mitigation: "Segment metrics in every evaluation with a maximum gap of 0.05."}

data:
  target: resolved_without_agent
  time: created_at
  id: ticket_id
  segments: [region, channel]
  sensitive: []

evaluation:
  primary_metric: roc_auc
  costs: {false_positive: 5, false_negative: 1}
  max_segment_gap: 0.05

monitoring:
  drift:
    numeric: auto
    categorical: auto
    threshold: 0.1
    dataset_share: 0.5
  alerts: ["p99 > 50ms for 5m", "error_rate > 1%", "drift_share > 0.3", "online accuracy < 0.7"]

retrain:
  schedule: "0 3 * * 1"
  on_drift: true
  on_degradation: {metric: accuracy, below: 0.7}
  on_new_data: false
`
