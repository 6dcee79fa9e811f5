using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace KillSafe.Tests.Shared
{
    /// <summary>
    /// Reference assemblies for test compilations, taken from the reference packs that ship with the
    /// installed .NET SDK (located at run time), so that tests need no network: the testing library's
    /// <c>ReferenceAssemblies.Net.Net80</c> would download Microsoft.NETCore.App.Ref from a feed.
    /// Shared (linked) by every test project that compiles C# in memory.
    /// </summary>
    public static class TestReferences
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> NetCoreRefs = new(() => FromPack("Microsoft.NETCore.App.Ref"));
        private static readonly Lazy<ImmutableArray<MetadataReference>> AspNetCoreRefs = new(() => FromPack("Microsoft.AspNetCore.App.Ref"));

        public static ImmutableArray<MetadataReference> NetCore => NetCoreRefs.Value;

        public static ImmutableArray<MetadataReference> AspNetCore => AspNetCoreRefs.Value;

        public static MetadataReference TmdsLibC { get; } = MetadataReference.CreateFromFile(typeof(Tmds.Linux.LibC).Assembly.Location);

        /// <summary>The target framework of the running runtime, such as net10.0.</summary>
        public static string TargetFramework => "net" + Environment.Version.Major + "." + Environment.Version.Minor;

        /// <summary>The .NET installation that runs the tests: <c>shared/Microsoft.NETCore.App/&lt;v&gt;</c> lives under it.</summary>
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
                throw new InvalidOperationException($"Reference pack {pack} for {TargetFramework} not found under {packDirectory}: install the .NET {Environment.Version.Major} SDK.");
            return Directory.GetFiles(candidates[0].Ref, "*.dll")
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
                .ToImmutableArray();
        }
    }
}
