// The `basis` label of every series summed from the ledger's realized PnL (docs/metrics.md). It is
// a property of the sum, never a split: each series keeps one number, and the label says which
// realized PnL it adds up, so no query can add an average-cost number to a FIFO one unawares.

/** The sentence every basis-labelled HELP ends with. */
export const BASIS_HELP =
  'Label basis: api = IB average cost (commission reports), flex = FIFO by tax lot (Flex fifoPnlRealized), mixed = a sum of both, never converted.';

/** What the HELP of a realized-PnL figure of IB's own (reqPnL) says instead of a label. */
export const IB_BASIS_HELP = "IB's own figure, on IB's average-cost basis (no basis label).";
