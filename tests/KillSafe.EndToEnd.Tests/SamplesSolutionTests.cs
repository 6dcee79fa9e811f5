using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>samples/Samples.sln opens every sample in an editor (Analyzers.sln leaves them out: they build against the packed package).</summary>
public sealed class SamplesSolutionTests
{
    [Fact]
    public void The_samples_solution_holds_every_sample_project()
    {
        var samples = Path.Combine(Repo.Root, "samples");
        var solution = File.ReadAllText(Path.Combine(samples, "Samples.sln")).Replace('\\', '/');
        var projects = Directory.GetFiles(samples, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("/bin/", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(samples, p).Replace('\\', '/'))
            .ToList();
        Assert.NotEmpty(projects);
        Assert.All(projects, p => Assert.Contains($"\"{p}\"", solution));
    }
}
