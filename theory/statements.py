r"""Every statement of the published paper, quoted from arXiv v2, with the places where proofs use each other.

This module is the single source of the paper's text for the companion. Each quote is
transcribed from the rendered pages of **arXiv v2 (24 Oct 2024), the NeurIPS 2024
camera-ready** (``pdftoppm -r 200``), with mathematics written in LaTeX exactly as
printed -- including the printed slips, which :mod:`theory.audit` discusses. Nothing
here is taken from the v1 preprint; differences from v1 are recorded in
:data:`theory.audit.CHANGES_FROM_PREPRINT`.

Page numbers. In v2 the PDF page number equals the printed page number (page 3 of the
PDF carries the printed folio "3", page 24 the folio "24"), so a single number
``page`` is used throughout and means both.

Data
----
:class:`Statement`
    One statement: id, kind, name, page, exact text, hypotheses, the main-text /
    appendix link, and the :class:`Use` records of its proof.
:class:`Use`
    One place where a proof cites another statement: where (page, quote), which of the
    cited statement's hypotheses must hold there, and which function of
    :mod:`theory.audit` checks them.
:data:`STATEMENTS`
    ``id -> Statement`` for the Section 2 model (``"S2"``), the main-text statements
    (``"4.1"`` ... ``"6.2"``), the claims of Section 4 (``"S4"``, the remedy) and Section 5
    (``"S5"``, paths), the appendix statements (``"B.1"`` ... ``"B.10"``), the
    claims of Appendix C (``"C.3"`` ... ``"C.6"``) and the figure captions that carry
    claims (``"fig8"`` ... ``"fig12"``).
:data:`PROMPTS`
    The exact prompt strings of Section 3, Figure 5, Appendix C.1 and C.5 / Figures 11-12.
:data:`PAPER`
    Bibliographic identity of the audited version.

Examples
--------
>>> statement("B.4").name
'Proposition B.4'
>>> statement("4.2").informal_of
'B.3'
>>> [u.cited for u in statement("B.3").uses]
['B.2', 'B.1', 'B.2']
>>> statement("B.11")
Traceback (most recent call last):
...
ValueError: unknown statement id 'B.11'; known ids: S2, 4.1, 4.2, S4, 5.1, 5.2, S5, 6.1, 6.2, B.1, B.2, B.3, B.4, B.5, B.6, B.7, B.8, B.9, B.10, C.3, C.4, C.5, C.6, fig8, fig9, fig10, fig11, fig12
"""

from dataclasses import dataclass, field

__all__ = [
    "PAPER",
    "Use",
    "Statement",
    "STATEMENTS",
    "PROMPTS",
    "statement",
    "uses",
]

#: The audited version of the paper.
PAPER = {"arxiv": "2406.04267", "version": "v2", "date": "24 Oct 2024", "venue": "NeurIPS 2024"}


@dataclass(frozen=True)
class Use:
    """A proof's citation of another statement, and what the citation needs.

    Parameters
    ----------
    cited : str
        Id of the cited statement (a key of :data:`STATEMENTS`), or ``"external"``.
    page : int
        v2 page of the citing sentence.
    quote : str
        The citing sentence, exactly as printed (maths in LaTeX).
    hypotheses : tuple of str
        The cited statement's hypotheses that must hold at this place of use.
    needed : str
        The conclusion the citing proof takes from the cited statement.
    check : str
        Name of the function of :mod:`theory.audit` that evaluates the hypotheses here.
    """

    cited: str
    page: int
    quote: str
    hypotheses: tuple
    needed: str
    check: str


@dataclass(frozen=True)
class Statement:
    """One statement of the paper as printed in v2.

    Parameters
    ----------
    id : str
        ``"S2"``, ``"4.1"``, ``"B.3"``, ``"C.6"``, ``"fig11"``, ...
    kind : str
        ``"Model"``, ``"Lemma"``, ``"Theorem"``, ``"Proposition"``, ``"Corollary"``,
        ``"Claim"`` (an experimental claim of Appendix C) or ``"Figure"``.
    name : str
        The name printed in the paper (``"Proposition B.4"``).
    page : int
        v2 page (PDF page = printed page).
    text : str
        The statement, quoted exactly, maths in LaTeX.
    hypotheses : tuple of str
        Its hypotheses, one short phrase each, in the natural reading of the text.
    informal_of : str or None
        For a main-text statement, the id of the appendix statement it summarises.
    informal : str or None
        For an appendix statement, the id of its main-text (informal) version.
    proof_pages : tuple of int
        Pages of the proof (empty for claims without proof).
    uses : tuple of Use
        Statements the proof cites.
    """

    id: str
    kind: str
    name: str
    page: int
    text: str
    hypotheses: tuple = ()
    informal_of: str | None = None
    informal: str | None = None
    proof_pages: tuple = ()
    uses: tuple = field(default_factory=tuple)


# --------------------------------------------------------------------------- text

_S2 = r"""We let $\mathbf{Q}, \mathbf{K}, \mathbf{V} \in \mathbb{R}^{n \times d}$ be the query, key, and value matrices respectively on $n$ tokens and $d$ dimensions. We denote with $\mathbf{q}_i, \mathbf{k}_i, \mathbf{v}_i \in \mathbb{R}^d$ the $d$-dimensional query, key, and value vectors of the $i$-th token. We let $\mathbf{p}_{ij} \in \mathbb{R}^{2e}$ be the $2e$-dimensional positional encoding information between tokens $i$ and $j$. We focus on the case in which the positional encodings are bounded, which is the case for the large majority of positional encodings used in practice [26, 30]. The Transformer model we consider computes the values, for a single head, of the $i$-th token at the $\ell$-th Transformer layer $\mathbf{v}_i^{(\ell)}$ as
$$\mathbf{z}_i^{(\ell)} = \sum_{j \leqslant i} \alpha_{ij}^{(\ell)} \operatorname{norm}_1^{(\ell)}\left(\mathbf{v}_i^{(\ell)}\right) + \mathbf{v}_i^{(\ell)}, \text{with } \alpha_{ij}^{(\ell)} = \frac{\exp\left(k\left(\mathbf{q}_i^{(\ell)}, \mathbf{k}_j^{(\ell)}, \mathbf{p}_{ij}\right)\right)}{\sum_{w \leqslant i} \exp\left(k\left(\mathbf{q}_i^{(\ell)}, \mathbf{k}_w^{(\ell)}, \mathbf{p}_{iw}\right)\right)}$$
$$\mathbf{v}_i^{(\ell+1)} = \boldsymbol{\psi}^{(\ell)}\left(\operatorname{norm}_2^{(\ell)}\left(\mathbf{z}_i^{(\ell)}\right)\right) + \mathbf{z}_i^{(\ell)}$$
for a function $k : \mathbb{R}^d \times \mathbb{R}^d \times \mathbb{R}^{2e} \to \mathbb{R}$ mapping queries, key, and positional encoding information to a scalar value, an MLP $\boldsymbol{\psi} : \mathbb{R}^d \to \mathbb{R}^d$, and normalization functions at the $\ell$-th layer $\operatorname{norm}_1^{(\ell)}$ and $\operatorname{norm}_2^{(\ell)}$. [...] After the last transformer block a normalization is applied to the token representations:
$$\mathbf{y}_i = \operatorname{norm}_3\left(\mathbf{v}_i^{(L)}\right)$$"""

_EQ1 = (r"\left\|\frac{\partial \mathbf{y}_n}{\partial \mathbf{v}_i^{(0)}}\right\| \leqslant {CONST} "
        r"\sum_{k_1 \geqslant i} \cdots \sum_{k_L \geqslant k_{L-1}} \bar{\alpha}^{(L-1)}_{n,k_L} "
        r"\prod_{\ell=2}^{L-1} \bar{\alpha}^{(\ell-1)}_{k_\ell,k_{\ell-1}} \bar{\alpha}^{(0)}_{k_1,i}")

_TEXT = {
    "4.1": r"Lemma 4.1 (Informal). Consider two sequences $\mathbf{x}, \mathbf{x}^* \in \mathbb{R}^n$ such that $\lim_{n\to\infty} |\mathbf{x}_n - \mathbf{x}_n^*| = 0$. Then, the $L_1$ difference of their softmax tends to $0$.",
    "4.2": r"Theorem 4.2 (Representational Collapse -- informal). Let $\mathbf{v}^{(0)} \in \mathbb{R}^{n \times d}$ be a sequence and $\mathbf{v}^{*(0)} \in \mathbb{R}^{(n+1) \times d}$ be another sequence equal to $\mathbf{v}^{(0)}$ with the last token of $\mathbf{v}^{(0)}$ repeated. Assume that the positional encoding information decays to $0$ with the distance. Then, their representations become arbitrarily close as $n$ increases.",
    "5.1": r"Theorem 5.1 (Over-squashing in Transformers). Consider an input sequence $\mathbf{v}_1^{(0)}, \dots, \mathbf{v}_n^{(0)}$. Let $C > 0$ be some constant and $\bar{\alpha}^{(\ell)}_{i,j} = \frac{\alpha^{(\ell)}_{i,j}}{\beta_2} + \delta_{i,j}$, then: $$" + _EQ1.replace("{CONST}", "C") + r" \quad (1)$$",
    "5.2": r"Proposition 5.2 (Informal). Under certain assumptions on the effect of the normalisation and on the attention weights, in the limit of layers $L \to \infty$ the output representation will only depend on the first input token.",
    "6.1": r"Proposition 6.1. A Transformer without positional encodings and a causal attention mechanism is immediately unable to count.",
    "6.2": r"Corollary 6.2 (Informal). Counting in certain situations becomes impossible due to representational collapse and finite floating point precision.",
    "B.1": r"Lemma B.1. Consider a vector $\mathbf{a} \in \mathbb{R}^{n-1}$ and two scalars $b, c \in \mathbb{R}$. Let $\mathbf{x} = [\mathbf{a}\ c]^T \in \mathbb{R}^n$ and $\mathbf{x}^* = [\mathbf{a}\ b\ c]^T \in \mathbb{R}^{n+1}$ with all entries bounded. Then, $\operatorname{softmax}(\mathbf{x})_n > \operatorname{softmax}(\mathbf{x}^*)_{n+1}$. Moreover for any $p > 0$ we can find large enough $n \in \mathbb{N}^+$ such that $|\operatorname{softmax}(\mathbf{x})_n - \operatorname{softmax}(\mathbf{x}^*)_{n+1}| < p$.",
    "B.2": r"Lemma B.2. Consider two sequences $\mathbf{x}, \mathbf{x}^* \in \mathbb{R}^n$ such that $\lim_{n\to\infty} |\mathbf{x}_n - \mathbf{x}_n^*| = 0$, with $\mathbf{x}_i, \mathbf{x}_i^*$ bounded. Let $\mathbf{y}, \mathbf{y}^* \in \mathbb{R}^n$ be the softmax of $\mathbf{x}$ and $\mathbf{x}^*$ respectively. Then, as $n \to \infty$ the total variation tends to $0$, i.e. $\lim_{n\to\infty} \delta(\mathbf{y}, \mathbf{y}^*) = 0$.",
    "B.3": r"Theorem B.3 (Representational Collapse). Let $\mathbf{x} \in \mathbb{R}^{n-1 \times d}$ be an underlying growing token sequence. Let $\mathbf{v}^{(0)} = [\mathbf{v}\ \mathbf{v}_a]^T \in \mathbb{R}^{n \times d}$ and $\mathbf{v}^{*(0)} = [\mathbf{v}\ \mathbf{v}_a\ \mathbf{v}_a]^T \in \mathbb{R}^{n+1 \times d}$ be two sequences for a final repeated token $\mathbf{x}_a \in \mathbb{R}^d$, with all token representations bounded. Further, assume that the positional encodings decay with distance to $0$. Then, for large enough $n \in \mathbb{N}^+$, we have that the representations are under any $\epsilon$: $$||\mathbf{v}_n^{(L)} - \mathbf{v}_{n+1}^{*(L)}||_1 < \epsilon.$$",
    "B.4": r"Proposition B.4. Consider two sequences $\mathbf{x} = (1\ 0\ 1\ 0 \dots) \in \mathbb{R}^n$ and $\mathbf{x}^* = (0\ 1\ 0\ 1 \dots) \in \mathbb{R}^n$ for $n$ even. Let $\mathbf{y}$ and $\mathbf{y}^*$ be the softmax of $\mathbf{x}$ and $\mathbf{x}^*$, respectively. Then the total variation $\delta(\mathbf{y}, \mathbf{y}^*)$ does not tend to $0$ as $n \to \infty$.",
    "B.5": r"Theorem B.5 (Over-squashing in Transformers). Consider an input sequence $\mathbf{v}_1^{(0)}, \dots, \mathbf{v}_n^{(0)}$ (including CoT). Let $\sigma_{\boldsymbol{\psi}}$ be the maximal Lipschitz constant of any $\boldsymbol{\psi}^{(\ell)}$, and $\bar{\alpha}^{(\ell)}_{j,i} = \frac{1}{\beta^{(\ell)}}\left(\alpha^{(\ell)}_{j,i} + \delta_{j,i}\right)$ the normalized attention coefficient, then: $$" + _EQ1.replace("{CONST}", r"\sigma_{\boldsymbol{\psi}}^L") + r" \quad (4)$$",
    "B.6": r"Lemma B.6. A row-stochastic triangular matrix $\mathbf{A}$ has $1$ as its largest eigenvalue. Moreover, such eigenvalue has multiplicity $1$ if each row except the first has at least $2$ non-zero entries.",
    "B.7": r"Lemma B.7. The product of two row-stochastic matrices is again row-stochastic. Moreover, the product of two triangular row-stochastic matrices is a triangular row-stochastic matrix.",
    "B.8": r"Proposition B.8. Let $\beta_1^{(\ell)}, \beta_2^{(\ell)} = 1$, $\beta_3^{1/L} = 4$, $\sigma_\psi = 1$. Furthermore, for simplicity, let the attention coefficients be equal at each layer and such that each row except the first of the causal mechanism has at least two non-zero elements. Then, we have as $L \to \infty$ that $\partial \mathbf{y}_n/\partial \mathbf{v}_i^{(0)} = 0$ when $i \neq 1$ and $\partial \mathbf{y}_n/\partial \mathbf{v}_i^{(0)} = 1$ when $i = 1$. In other words, $\mathbf{y}_n$ will only be sensitive to the first token.",
    "B.9": r"Proposition B.9. A Transformer without positional encodings and a causal attention mechanism is immediately unable to solve the counting problem.",
    "B.10": r"Corollary B.10. Consider a task in which the goal is to count how many $\mathbf{v}_a$ tokens there are in the sequence. Let $\mathbf{v}^{(0)} = [\mathbf{v}\ \mathbf{v}_a]^T \in \mathbb{R}^{n \times d}$ and $\mathbf{v}^{*(0)} = [\mathbf{v}\ \mathbf{v}_a\ \mathbf{v}_a] \in \mathbb{R}^{(n+1) \times d}$. Due to representational collapse, at least one sequence will be given the wrong count for large enough finite $n$.",
    "C.3": r"To provide further experimental evidence of representational collapse with other positional encodings, we experiment using the original sinusoidal embeddings from [30]. We sample key, query, and values from a Gaussian distribution with variance $\sigma^2 = 1/d$, with $d$ the dimension of the embeddings. We set $d = 64$ and otherwise follow the exact structure of the decoder-only Transformer presented in the original Transformer paper. We experiment with a single attention layer and check the convergence of the representations of the final token between a sequence of length $n$ and a sequence of length $n + 1$ in which we simply copy the final token. We present the results in Figure 8. We see how also for sinusoidal PEs with key, queries, and values randomly sampled, the convergence still occurs. [p. 22:] Finally, we test the decay of the total variation of the softmax distributions of two growing sequences, to experimentally verify Lemma B.2. We sample a sequence $\mathbf{x}$ of length $n$ with values uniformly distributed in the range $[0, 1]$. We then create $\mathbf{x}^*$ by adding to the first $k = 200$ elements of $\mathbf{x}$ noise which is uniformly sampled between $[0, 0.1]$. In Figure 9, we show how the total variation between their respective softmax distributions decays with the sequence length.",
    "C.4": r"We include a synthetic experiment where we verify the occurrence of the representational collapse phenomenon with different Positional Encodings, namely: Alibi [24], the original Absolute Positional Encodings (APE) [30], and No Positional Encodings (NoPE) [15]. In our synthetic experiment, we sample $n$ queries and keys independently directly from a standard Gaussian. We then construct a related sequence of length $n + 1$ by repeating its last element. We report the $L_1$ distance between the two sequences after a single decoder-Transformer layer, as done for the other representational collapse experiments. We consider a Transformer with a hidden dimension of 64, a single attention head, and we apply normalisations to simulate layer norm. The Transformer is not trained, but only used to simulate the propagation of information of queries and keys sampled from a Gaussian distribution. The results are shown in Figure 10. Representational collapse seems to occur with all 4 positional encodings, with the convergence of the representations happening at a similar sequence lengths. We would like to highlight that our condition on the decay of RoPE necessary to fulfill the requirement of Theorem 4.2 is inspired by claims of the decay of RoPE coming from the original work by Su et al. [26]. However, recent work has shown that such claims may not be strictly always upheld [4], as the original claims relied on very specific conditions on the queries and keys. We are of the opinion; however, that the range of synthetic and real-world experiments in this work support our representational collapse claims in practice with RoPE. A more precise mathematical treatment of RoPE specifically is therefore left as future work.",
    "C.5": r"We ablate the prompt structure specifically for the copying task. In particular, we consider the prompts: (Type 1) ``What is the last digit of the following sequence? Please answer exactly as `The answer to your question is: <ANSWER>' ''. Here is the sequence: {seq} and (Type 2) ``Please answer exactly as `The answer to your question is: <ANSWER>'. What is the last digit of the following sequence? {seq}''. The results are presented in Figure 11. We find that the prompt indeed does affect the performance on the task, as the prompt affects the distribution of the attention over the layer. However, for both types of prompts, the model ends up failing, in accordance with our theory. We also show for completeness, in Figure 12, that representational collapse occurs in Gemma 7B also for the `Type 1' prompt.",
    "C.6": r"A fundamental limitation of an attention mechanism that leverages the softmax function is that it cannot remain sharp, especially as the sequence length grows [31]. This is in fact a key intuition that we exploit to show our result on representational collapse. A good way to address representational collapse and the related phenomenon of over-squashing is then that of limiting the spread of the softmax function, by directly limiting the amount of tokens the attention mechanism pays attention to. This mechanism is often referred to as a local sliding window and is a major architectural change present in Gemma 2 [28]. We believe that such an architectural change elegantly addresses representational collapse and over-squashing at [p. 24:] the source as it avoids the issues that come with growing token sequences -- something which our theory often exploits.",
    "fig8": r"Figure 8: Convergence behaviour with a synthetic Transformer experiment. We sample the key, query, and values from a Gaussian distribution and apply the traditional sinusoidal PEs from [30]. We apply a logarithmic scale on the y-axis.",
    "fig9": r"Figure 9: Total variation decay of softmax distributions with growing sequence length. We sample $n$ elements uniformly from $[0, 1]$ and then create a related sequence by taking its first $k = 200$ and adding to these elements noise sampled uniformly from $[0, 0.1]$. We measure the total variation between their softmax distributions. It is clear how the total variation decays with length, in accordance with Lemma B.2. Error bars show minimum and maximum over 5 seeds.",
    "fig10": r"Figure 10: We sample $n$ queries, keys, and values independently from a standard Gaussian, applying different positional encodings. We then construct sequences of length $n + 1$, by repeating the $n$-th token. We report the $L_1$ distance between the last tokens of the sequences of length $n$ and $n + 1$ after one decoder-only Transformer layer. We set the hidden dimension to 64, use a single attention head, and normalise appropriately to simulate the effects of LayerNorm. The y-axis is shown in log-scale.",
    "fig11": r"Figure 11: Performance of a Gemini model on the following prompts: (Type 1) ``What is the last digit of the following sequence? Please answer exactly as `The answer to your question is: <ANSWER>' ''. Here is the sequence: {seq} and (Type 2) ``Please answer exactly as `The answer to your question is: <ANSWER>'. What is the last digit of the following sequence? {seq}''",
    "S4": r"A simple solution to representational collapse. An important consequence of Theorem 4.2 is that it is challenging for a Transformer to deal with a long sequence of repeated tokens. A practical solution is to this issue is to introduce additional tokens throughout the sequence to help keep the representations distant. We provide direct evidence of this in Figure 5 (c,d), where we prompt the model on a simple copying task of a long string of ones. While the [p. 8:] representations collapse for the sequence of ones (c), adding commas every third digit (d) helps to keep the representations well-separated.",
    "S5": r"Theorem 5.1 provides intuition on how information propagates in a decoder-only Transformer. In particular, there is a topological aspect present in the bound which is directly controlled by the attention mechanism. More concretely, the sensitivity depends on the sum of the weighted paths between the token i at the input and the final layer. In other words, for tokens coming sooner in the sequence, there will be more opportunity for their information to be preserved.",
    "fig12": r"Figure 12: Representational collapse in Gemma for the prompt: ``What is the last digit of the following sequence? Please answer exactly as `The answer to your question is: <ANSWER>' ''. Here is the sequence: {seq} and (Type 2) ''",
}

# --------------------------------------------------------------------------- uses

_B3_USES_B2 = Use(
    cited="B.2", page=16,
    quote=r"We note that the term $\delta\left(\alpha^{(0)}_{n,:}, \alpha^{*(0)}_{n,:n}\right)$ goes to $0$ with $n \to \infty$ thanks to Lemma B.2 and our assumptions on the positional encodings.",
    hypotheses=(
        "x and x* have the same length n and y, y* are their softmaxes",
        "x, x* are the first n terms of one fixed pair of sequences (entries do not depend on n)",
        "lim_{n->oo} |x_n - x*_n| = 0",
        "x_i, x*_i bounded",
    ),
    needed="delta(alpha_{n,:}, alpha*_{n+1,1:n}) -> 0 for the first-layer logits of the two sequences",
    check="use_b3_b2_layer0",
)
_B3_USES_B1 = Use(
    cited="B.1", page=16,
    quote=r"Similarly, the term $\alpha^{*(0)}_{n+1,n+1}$ goes to $0$ due to Lemma B.1.",
    hypotheses=(
        "x* = [a b c] extends x = [a c] by one inserted entry (common prefix a)",
        "all entries bounded (uniformly in n)",
    ),
    needed="softmax(x*)_{n+1} -> 0 (B.1 states only softmax(x)_n - softmax(x*)_{n+1} -> 0)",
    check="use_b3_b1_last_weight",
)
_B3_INDUCTION = Use(
    cited="B.2", page=16,
    quote=r"As $\mathbf{v}_i^{(\ell+1)} = \boldsymbol{\psi}^{(\ell)}\left(\operatorname{norm}_2^{(\ell)}\left(\mathbf{z}_i^{(\ell)}\right)\right) + \mathbf{v}_i^{(\ell)}$, the sequences will have arbitrarily close final token representations when entering the next layer. The result then follows via a simple inductive approach on the layers.",
    hypotheses=(
        "the two logit vectors share the query (true only at layer 0: v_n^(0) = v*_{n+1}^(0))",
        "x_i, x*_i bounded",
        "the residual inputs of the last token coincide (true only at layer 0)",
    ),
    needed="closeness of the last-token states propagates through layers l >= 1",
    check="use_b3_induction",
)

_USES = {
    "4.2": (Use(
        cited="4.1", page=7,
        quote=r"We now show, using Lemma 4.1, that we can find distinct sequences that will have arbitrarily close final representations.",
        hypotheses=("lim_{n->oo} |x_n - x*_n| = 0",),
        needed="the L1 difference of the two attention distributions tends to 0",
        check="use_b3_b2_layer0",
    ),),
    "B.3": (_B3_USES_B2, _B3_USES_B1, _B3_INDUCTION),
    "B.8": (
        Use(cited="B.5", page=18,
            quote=r"Proof. Let the associated attention matrix be $\boldsymbol{\Lambda}$. We start by re-writing the following: $\left\|\frac{\partial \mathbf{y}_n}{\partial \mathbf{v}_i^{(0)}}\right\| \leqslant \frac{1}{\beta_3}\prod_{\ell=1}^L \left(\frac{\sigma_{\boldsymbol{\psi}}}{\beta_2^{(\ell)}} + 1\right) \sum_{k_1 \geqslant i} \cdots$",
            hypotheses=("attention weights independent of the input (frozen)",
                        "layer norms act as constant factors beta_1, beta_2, beta_3",
                        "sigma_psi is a Lipschitz constant of every psi^(l)"),
            needed="the bound in the form of the proof of B.5: C = (1/beta_3) prod (sigma/beta_2 + 1), abar = alpha/beta_1 + delta (not the statement's sigma^L, (alpha+delta)/beta)",
            check="use_b8_b5"),
        Use(cited="B.7", page=18,
            quote=r"In particular, by Lemma B.7, also $\tilde{\boldsymbol{\Lambda}}^L$ is row-stochastic and each entry is non-negative.",
            hypotheses=("every factor is row-stochastic", "every factor is triangular"),
            needed="Lambda~^L row-stochastic, lower triangular",
            check="use_b8_b7"),
        Use(cited="B.6", page=18,
            quote=r"In particular, thanks to Lemma B.6, we know that there is a unique eigenvector (the constant eigenvector $\psi_n$) with eigenvalue $\lambda_n = 1$.",
            hypotheses=("row-stochastic triangular", "each row except the first has at least 2 non-zero entries"),
            needed="eigenvalue 1 of Lambda~ is simple; the limit also needs |lambda_k| < 1 for every other eigenvalue",
            check="use_b8_b6"),
        Use(cited="external", page=18,
            quote=r"We now use the Perron-Frobenius theorem for non-negative matrices [23], which guarantees us that all eigenvalues $\lambda_k$ of $\tilde{\boldsymbol{\Lambda}}$ are bounded such that $|\lambda_k| \leqslant 1$.",
            hypotheses=("Lambda~ non-negative and row-stochastic",),
            needed="|lambda_k| <= 1 (the limit needs < 1 for k != n)",
            check="use_b8_perron"),
    ),
    "B.10": (Use(
        cited="B.3", page=20,
        quote=r"Proof. This statement is a direct consequence of representational collapse. In particular, as $\mathbf{y}_n$ and $\mathbf{y}^*_n$ will be indistinguishable for large enough $n$, the Transformer will be forced to make a mistake for at least one of them.",
        hypotheses=("v^(0) = [v v_a], v*^(0) = [v v_a v_a]", "all token representations bounded",
                    "positional encodings decay with distance to 0"),
        needed="y_n and y*_{n+1} indistinguishable (B.3 gives only ||.||_1 < eps; 'indistinguishable' needs a finite format)",
        check="use_b10_b3"),),
    "6.2": (Use(
        cited="4.2", page=10,
        quote=r"Further, as a corollary of Theorem 4.2, we have that even if a model would be able to generalise perfectly, the problem of representational collapse points to an impossibility result in counting regardless.",
        hypotheses=("last token repeated", "positional encoding information decays to 0 with the distance"),
        needed="representations arbitrarily close",
        check="use_b10_b3"),),
    "C.3": (
        Use(cited="B.2", page=22,
            quote=r"Finally, we test the decay of the total variation of the softmax distributions of two growing sequences, to experimentally verify Lemma B.2.",
            hypotheses=("x_i, x*_i bounded", "|x_i - x*_i| -> 0 (here: 0 beyond the first k = 200 entries)"),
            needed="the Figure 9 setting is an instance of Lemma B.2",
            check="use_c3_fig9_b2"),
        Use(cited="B.3", page=21,
            quote=r"We see how also for sinusoidal PEs with key, queries, and values randomly sampled, the convergence still occurs.",
            hypotheses=("positional encodings decay with distance to 0",
                        "v_n^(0) = v*_{n+1}^(0) (positional information does not enter the token vectors)"),
            needed="the Figure 8 set-up is an instance of Theorem B.3",
            check="use_c_experiments_b3"),
    ),
    "C.4": (Use(
        cited="B.3", page=23,
        quote=r"Representational collapse seems to occur with all 4 positional encodings, with the convergence of the representations happening at a similar sequence lengths.",
        hypotheses=("positional encodings decay with distance to 0",),
        needed="each of the four Figure 10 encodings is an instance of Theorem B.3",
        check="use_c_experiments_b3"),),
}

_HYP = {
    "S2": ("single head, causal (j <= i) softmax attention with logits k(q_i, k_j, p_ij)",
           "bounded positional encodings p_ij", "pre-LN: norm_1 on values, norm_2 before psi",
           "residual connections", "final norm_3"),
    "4.1": ("lim_{n->oo} |x_n - x*_n| = 0",),
    "4.2": ("v*(0) equals v(0) with its last token repeated",
            "positional encoding information decays to 0 with the distance"),
    "5.1": ("C > 0 some constant", "abar = alpha/beta_2 + delta",
            "attention independent of the input; layer norms as constants beta_i (Section 5 text)"),
    "5.2": ("assumptions on the normalisation", "assumptions on the attention weights"),
    "6.1": ("no positional encodings", "no causal mask (Section 6 text: 'without causal masking')"),
    "6.2": ("representational collapse", "finite floating point precision"),
    "B.1": ("a in R^{n-1}, b, c in R", "x = [a c], x* = [a b c]", "all entries bounded (uniformly in n)"),
    "B.2": ("x, x* in R^n: the first n terms of two sequences", "lim_{n->oo} |x_n - x*_n| = 0",
            "x_i, x*_i bounded"),
    "B.3": ("v(0) = [v v_a], v*(0) = [v v_a v_a]", "all token representations bounded",
            "positional encodings decay with distance to 0", "the Section 2 model"),
    "B.4": ("x = (1 0 1 0 ...), x* = (0 1 0 1 ...)", "n even"),
    "B.5": ("sigma_psi the maximal Lipschitz constant of any psi^(l)",
            "abar = (alpha + delta)/beta^(l)",
            "attention independent of the input; layer norms as constant factors (B.2 preamble)"),
    "B.6": ("A row-stochastic", "A triangular",
            "(multiplicity) each row except the first has at least 2 non-zero entries"),
    "B.7": ("A, B row-stochastic", "(second part) A, B triangular"),
    "B.8": ("beta_1 = beta_2 = 1", "beta_3^{1/L} = 4", "sigma_psi = 1",
            "attention equal at each layer", "each row except the first has at least two non-zero entries",
            "assumptions of B.5 (attention independent of the input, norms as constants)"),
    "B.9": ("no positional encodings", "no causal mask (proof: 'without positional encodings and causal masking')"),
    "B.10": ("counting v_a tokens", "v(0) = [v v_a], v*(0) = [v v_a v_a]",
             "hypotheses of Theorem B.3 (decay of the positional encodings)"),
}

_META = [
    # id, kind, name, page, informal_of, informal, proof_pages
    ("S2", "Model", "Section 2 (Background), model equations", 3, None, None, ()),
    ("4.1", "Lemma", "Lemma 4.1", 7, "B.2", None, ()),
    ("4.2", "Theorem", "Theorem 4.2", 7, "B.3", None, ()),
    ("S4", "Claim", "Section 4 (a simple solution to representational collapse)", 7, None, None, ()),
    ("5.1", "Theorem", "Theorem 5.1", 8, "B.5", None, ()),
    ("5.2", "Proposition", "Proposition 5.2", 9, "B.8", None, ()),
    ("S5", "Claim", "Section 5 (paths in the bound of Theorem 5.1)", 9, None, None, ()),
    ("6.1", "Proposition", "Proposition 6.1", 9, "B.9", None, ()),
    ("6.2", "Corollary", "Corollary 6.2", 10, "B.10", None, ()),
    ("B.1", "Lemma", "Lemma B.1", 13, None, None, (13,)),
    ("B.2", "Lemma", "Lemma B.2", 14, None, "4.1", (14, 15)),
    ("B.3", "Theorem", "Theorem B.3", 15, None, "4.2", (15, 16)),
    ("B.4", "Proposition", "Proposition B.4", 16, None, None, (16,)),
    ("B.5", "Theorem", "Theorem B.5", 16, None, "5.1", (16, 17)),
    ("B.6", "Lemma", "Lemma B.6", 17, None, None, (17, 18)),
    ("B.7", "Lemma", "Lemma B.7", 18, None, None, (18,)),
    ("B.8", "Proposition", "Proposition B.8", 18, None, "5.2", (18,)),
    ("B.9", "Proposition", "Proposition B.9", 19, None, "6.1", (19, 20)),
    ("B.10", "Corollary", "Corollary B.10", 20, None, "6.2", (20,)),
    ("C.3", "Claim", "Appendix C.3 (Synthetic Experiments on Representational Collapse)", 21, None, None, ()),
    ("C.4", "Claim", "Appendix C.4 (Effect of Positional Encodings)", 22, None, None, ()),
    ("C.5", "Claim", "Appendix C.5 (Ablation on Prompt Structure)", 23, None, None, ()),
    ("C.6", "Claim", "Appendix C.6 (Local sliding window attention)", 23, None, None, ()),
    ("fig8", "Figure", "Figure 8", 22, None, None, ()),
    ("fig9", "Figure", "Figure 9", 22, None, None, ()),
    ("fig10", "Figure", "Figure 10", 23, None, None, ()),
    ("fig11", "Figure", "Figure 11", 24, None, None, ()),
    ("fig12", "Figure", "Figure 12", 24, None, None, ()),
]

#: ``id -> Statement`` in the paper's order.
STATEMENTS = {
    sid: Statement(id=sid, kind=kind, name=name, page=page,
                   text=_S2 if sid == "S2" else _TEXT[sid],
                   hypotheses=_HYP.get(sid, ()), informal_of=formal, informal=informal,
                   proof_pages=proof, uses=_USES.get(sid, ()))
    for sid, kind, name, page, formal, informal, proof in _META
}


def statement(sid):
    """The :class:`Statement` with id ``sid``.

    Parameters
    ----------
    sid : str
        A key of :data:`STATEMENTS` (``"B.3"``, ``"4.1"``, ``"C.6"``, ``"fig11"``, ...).

    Returns
    -------
    Statement

    Raises
    ------
    ValueError
        If ``sid`` is not a known id; the message lists the known ids.

    References
    ----------
    Barbero et al., arXiv:2406.04267 v2 (NeurIPS 2024).

    Examples
    --------
    >>> s = statement("B.8")
    >>> s.page, s.informal
    (18, '5.2')
    """
    if not isinstance(sid, str) or sid not in STATEMENTS:
        raise ValueError(f"unknown statement id {sid!r}; known ids: {', '.join(STATEMENTS)}")
    return STATEMENTS[sid]


def uses():
    """Every place where a proof or claim cites another statement, as ``(citing_id, Use)`` pairs.

    This is the edge list of the statement dependency graph (citing -> cited).

    Returns
    -------
    list of tuple

    Examples
    --------
    >>> edges = [(a, u.cited) for a, u in uses()]
    >>> ("B.8", "B.6") in edges and ("B.3", "B.2") in edges
    True
    """
    return [(sid, u) for sid, s in STATEMENTS.items() for u in s.uses]


# --------------------------------------------------------------------------- prompts

_COT = (
    "Let\u2019s think step by step, showing me your reasoning. Here are a few examples:\n"
    "Please perform the following sum: 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1\n"
    "We divide the sum into groups of 5. (1 + 1 + 1 + 1 + 1) + (1 + 1 + 1 + 1 + 1) + 1 + 1\n"
    "The answer is then 2 * 5 + 2 = 12\n"
    "The final answer to your maths question is: 12\n"
    "Please perform the following sum: 1 + 1 + 1 + 1 + 1 + 1\n"
    "We divide the sum into groups of 5.\n"
    "(1 + 1 + 1 + 1 + 1) + 1\n"
    "The answer is then 1 * 5 + 1 = 6\n"
    "The final answer to your maths question is: 6"
)

#: Exact prompt strings. ``printed``: the characters as printed in v2 (typewriter blocks of
#: C.1 with the PDF's quote glyphs; LaTeX line wraps joined by one space, the line breaks
#: of the CoT block kept; the placeholder ``seq`` as printed). ``template``: the same with
#: the placeholder written ``{seq}`` for ``str.format``. Where the printed quotation marks
#: leave the extent of a prompt ambiguous (C.5 Type 1, Figure 12) ``note`` says so and
#: ``template`` is our reading. The typewriter blocks render with sentence spacing after
#: ':' and '.'; we read it as LaTeX spacing, not as two space characters.
PROMPTS = {
    "3.1/hint": {
        "page": 5, "where": "Section 3.1, Figure 2 (b)",
        "printed": "*Hint* It\u2019s not necessarily a 1, check carefully",
        "template": "*Hint* It\u2019s not necessarily a 1, check carefully",
        "note": "the text prints it between \u201c \u201d with a leading space: \u201c *Hint* ...\u201d"},
    "fig5a": {"page": 8, "where": "Figure 5 (a)", "printed": "How many ones are in the following sequences?",
              "template": "How many ones are in the following sequences?", "note": "followed by a sequence of ones"},
    "fig5b": {"page": 8, "where": "Figure 5 (b)", "printed": "How many ones are in the following sequences?",
              "template": "How many ones are in the following sequences?", "note": "followed by sampled digits"},
    "fig5c": {"page": 8, "where": "Figure 5 (c)", "printed": "Can you copy the following number?",
              "template": "Can you copy the following number?", "note": "followed by a sequence of ones"},
    "fig5d": {"page": 8, "where": "Figure 5 (d)", "printed": "Can you copy the following number?",
              "template": "Can you copy the following number?",
              "note": "followed by a sequence of ones with commas (every third digit, p. 8)"},
    "C.1/sum": {
        "page": 20, "where": "Appendix C.1, counting experiments (sum)",
        "printed": "Please perform the following sum: seq. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx\u2019 is your answer..",
        "template": "Please perform the following sum: {seq}. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx\u2019 is your answer..",
        "note": "'answer..' (two full stops) as printed"},
    "C.1/count_ones": {
        "page": 20, "where": "Appendix C.1, counting experiments (ones and zeros)",
        "printed": "Please count the number of ones in the following sequence:seq. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx is your answer.",
        "template": "Please count the number of ones in the following sequence:{seq}. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx is your answer.",
        "note": "no space after 'sequence:'; the quote after 'xxxx' is not closed, as printed"},
    "C.1/count_word": {
        "page": 20, "where": "Appendix C.1, counting experiments (word counting)",
        "printed": "Please count the number of times \u2018car\u2019 appears in the following sentence: \u2019seq\u2019. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx\u2019 is your answer.",
        "template": "Please count the number of times \u2018car\u2019 appears in the following sentence: \u2019{seq}\u2019. Please give the answer on the final line exactly as \u2019The final answer to your maths question is: xxxx\u2019, where \u2019xxxx\u2019 is your answer.",
        "note": ""},
    "C.1/cot_examples": {
        "page": 20, "where": "Appendix C.1, CoT examples ('With similar strategies for the 4 experiments.')",
        "printed": _COT, "template": _COT,
        "note": "the first example sums twelve ones (two printed lines joined)"},
    "C.1/copy_last": {
        "page": 20, "where": "Appendix C.1, copying experiments",
        "printed": "Consider the following sequence: seq. What is the last digit in this sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019",
        "template": "Consider the following sequence: {seq}. What is the last digit in this sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019",
        "note": "'and change appropriately the sequence as described.'"},
    "C.5/type1": {
        "page": 23, "where": "Appendix C.5 and Figure 11 (p. 24), prompt Type 1",
        "printed": "\u201cWhat is the last digit of the following sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019 \u201d. Here is the sequence: {seq}",
        "template": "What is the last digit of the following sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019. Here is the sequence: {seq}",
        "note": "the closing \u201d is printed before '. Here is the sequence: {seq}'; we read that sentence as part of the prompt (it carries the sequence) with the full stop after \u2019"},
    "C.5/type2": {
        "page": 23, "where": "Appendix C.5 and Figure 11 (p. 24), prompt Type 2",
        "printed": "\u201cPlease answer exactly as \u2018The answer to your question is: <ANSWER>\u2019. What is the last digit of the following sequence? {seq}\u201d",
        "template": "Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019. What is the last digit of the following sequence? {seq}",
        "note": ""},
    "fig12/prompt": {
        "page": 24, "where": "Figure 12 caption",
        "printed": "\u201cWhat is the last digit of the following sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019 \u201d. Here is the sequence: {seq} and (Type 2) \u201d",
        "template": "What is the last digit of the following sequence? Please answer exactly as \u2018The answer to your question is: <ANSWER>\u2019. Here is the sequence: {seq}",
        "note": "C.5 says Figure 12 uses the 'Type 1' prompt; the trailing 'and (Type 2) \u201d' is left over from the C.5 sentence"},
}
