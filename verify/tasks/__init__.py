"""Section 3 of the paper on local models: copying and counting tasks, and Corollary B.10 on a real model."""
