using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>Packs KillSafe.Analyzers once for all tests of the <see cref="PackageCollection"/>.</summary>
public sealed class PackageFixture : IDisposable
{
    private readonly ScratchDirectory _scratch = new("package");

    public PackageFixture()
    {
        var (exitCode, output) = DotnetCli.Run(Repo.Root, "pack", Path.Combine(Repo.Root, "src", "KillSafe.Analyzers.Package"), "-c", "Release", "-o", _scratch.Path, "-nologo");
        if (exitCode != 0)
            throw new InvalidOperationException("dotnet pack failed:\n" + output);
        var packages = Directory.GetFiles(_scratch.Path, "KillSafe.Analyzers.*.nupkg");
        if (packages.Length != 1)
            throw new InvalidOperationException("expected one KillSafe.Analyzers package, found: " + string.Join(", ", Directory.GetFiles(_scratch.Path)));
        PackagePath = packages[0];
        var name = Path.GetFileNameWithoutExtension(PackagePath);
        Version = name.Substring("KillSafe.Analyzers.".Length);
    }

    public string FeedDirectory => _scratch.Path;

    public string PackagePath { get; }

    public string Version { get; }

    public void Dispose() => _scratch.Dispose();
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackageFixture>
{
    public const string Name = "packed analyzer";
}
