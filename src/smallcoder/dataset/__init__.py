"""Training and calibration data from the user's own code: `smallcoder dataset`.

Floor: session level. It reads repositories (repomap/, workspace-free git calls), the run store
(store/), the FIM prompt formats (fim/) and renders chat templates exactly as the embedded backend
does (backends/), so it sits beside session/ and is imported only by cli/.

Modules: hygiene (secrets, licenses, duplicates, counts), sources (which files), fim, sft, calibration,
writers (TRL / axolotl / LLaMA-Factory files) and check (training template == inference prompt).
"""
