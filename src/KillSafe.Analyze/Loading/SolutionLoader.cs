using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.MSBuild;

namespace KillSafe.Analyze.Loading;

/// <summary>
/// Solution and project mode: the project system's own view, through MSBuildWorkspace (restored packages,
/// source generators, the project's references and .editorconfig/.globalconfig files). The workspace runs
/// MSBuild in a build-host process of its own.
/// </summary>
internal static class SolutionLoader
{
    public static async Task<LoadedSolution> LoadAsync(string path, Action<string> progress, CancellationToken cancellationToken)
    {
        var workspace = MSBuildWorkspace.Create();
        var warnings = new List<string>();
        workspace.RegisterWorkspaceFailedHandler(e =>
        {
            if (e.Diagnostic.Kind == WorkspaceDiagnosticKind.Failure)
                warnings.Add(e.Diagnostic.Message);
        });
        var reporter = new Progress<ProjectLoadProgress>(p =>
        {
            if (p.Operation == ProjectLoadOperation.Resolve)
                progress($"loaded {Path.GetFileName(p.FilePath)}{(p.TargetFramework is null ? string.Empty : " (" + p.TargetFramework + ")")} in {p.ElapsedTime.TotalSeconds:0.0} s");
        });
        try
        {
            if (path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
                await workspace.OpenProjectAsync(path, reporter, cancellationToken).ConfigureAwait(false);
            else
                await workspace.OpenSolutionAsync(path, reporter, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            workspace.Dispose();
            throw;
        }

        return new LoadedSolution(workspace, workspace.CurrentSolution, Approximate: false, warnings);
    }
}
