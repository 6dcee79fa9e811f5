using Microsoft.CodeAnalysis;

namespace KillSafe.Analyze.Loading;

/// <summary>What was loaded: the workspace, its solution, and what went wrong while loading.</summary>
/// <param name="Workspace">The workspace (disposed by the caller).</param>
/// <param name="Solution">The solution to analyze.</param>
/// <param name="Approximate">True in folder mode: compiled without MSBuild or a restore.</param>
/// <param name="Warnings">Load failures the workspace reported (a project that did not load, a missing SDK).</param>
internal sealed record LoadedSolution(Workspace Workspace, Solution Solution, bool Approximate, IReadOnlyList<string> Warnings);
