using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace KillSafe.Analyze.Loading;

/// <summary>
/// The reference assemblies of the installed .NET SDK (<c>&lt;dotnet root&gt;/packs/&lt;pack&gt;/&lt;version&gt;/ref/&lt;tfm&gt;</c>),
/// located at run time: what a folder without a restore is compiled against, and what the test compilations
/// use so that no test needs the network. Linked into the test projects, so there is one copy of this logic.
/// </summary>
internal static class ReferencePacks
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> NetCoreRefs = new(() => FromPack("Microsoft.NETCore.App.Ref"));
    private static readonly Lazy<ImmutableArray<MetadataReference>> AspNetCoreRefs = new(() => FromPack("Microsoft.AspNetCore.App.Ref"));

    /// <summary>Microsoft.NETCore.App's reference assemblies.</summary>
    public static ImmutableArray<MetadataReference> NetCore => NetCoreRefs.Value;

    /// <summary>Microsoft.AspNetCore.App's (Kestrel, the Generic Host, Microsoft.Extensions.*), or none when the SDK lacks them.</summary>
    public static ImmutableArray<MetadataReference> AspNetCore => AspNetCoreRefs.Value;

    /// <summary>The target framework of the running runtime, such as net10.0.</summary>
    public static string TargetFramework => "net" + Environment.Version.Major + "." + Environment.Version.Minor;

    /// <summary>The .NET installation that runs this process: <c>shared/Microsoft.NETCore.App/&lt;v&gt;</c> lives under it.</summary>
    /// <exception cref="InvalidOperationException">No SDK reference packs are installed there or at DOTNET_ROOT.</exception>
    public static string DotnetRoot
    {
        get
        {
            var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            var root = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            if (Directory.Exists(Path.Combine(root, "packs")))
                return root;
            var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_ROOT");
            if (fromEnvironment is not null && Directory.Exists(Path.Combine(fromEnvironment, "packs")))
                return fromEnvironment;
            throw new InvalidOperationException($"No .NET SDK reference packs next to the runtime at {runtimeDirectory}, and DOTNET_ROOT does not point at an SDK.");
        }
    }

    private static ImmutableArray<MetadataReference> FromPack(string pack)
    {
        var packDirectory = Path.Combine(DotnetRoot, "packs", pack);
        var versions = Directory.Exists(packDirectory) ? Directory.GetDirectories(packDirectory) : Array.Empty<string>();
        var candidates = versions
            .Select(v => (Version: Version.TryParse(Path.GetFileName(v).Split('-')[0], out var parsed) ? parsed : null, Ref: Path.Combine(v, "ref", TargetFramework)))
            .Where(c => c.Version is not null && c.Version.Major == Environment.Version.Major && Directory.Exists(c.Ref))
            .OrderByDescending(c => c.Version)
            .ToList();
        if (candidates.Count == 0)
        {
            if (pack == "Microsoft.AspNetCore.App.Ref")
                return ImmutableArray<MetadataReference>.Empty;
            throw new InvalidOperationException($"Reference pack {pack} for {TargetFramework} not found under {packDirectory}: install the .NET {Environment.Version.Major} SDK.");
        }

        return Directory.GetFiles(candidates[0].Ref, "*.dll")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
            .ToImmutableArray();
    }
}
