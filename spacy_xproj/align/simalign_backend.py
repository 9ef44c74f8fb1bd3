"""SimAlign backend (batched embedding pass, simalign matching).

Placeholder: filled in by issue 4."""
