using System;
using System.Collections.Immutable;
using KillSafe.Analyze.Loading;
using Microsoft.CodeAnalysis;

namespace KillSafe.Tests.Shared;

/// <summary>
/// Reference assemblies for test compilations: the reference packs that ship with the installed .NET SDK
/// (<see cref="ReferencePacks"/>, the same code killsafe analyze compiles folders with), so that tests need
/// no network: the testing library's <c>ReferenceAssemblies.Net.Net80</c> would download
/// Microsoft.NETCore.App.Ref from a feed. Shared (linked) by every test project that compiles C# in memory.
/// </summary>
public static class TestReferences
{
    public static ImmutableArray<MetadataReference> NetCore => ReferencePacks.NetCore;

    public static ImmutableArray<MetadataReference> AspNetCore => ReferencePacks.AspNetCore.IsEmpty
        ? throw new InvalidOperationException($"Reference pack Microsoft.AspNetCore.App.Ref for {TargetFramework} not found under {DotnetRoot}/packs: install the ASP.NET Core runtime's targeting pack (it ships with the .NET SDK).")
        : ReferencePacks.AspNetCore;

    public static MetadataReference TmdsLibC { get; } = MetadataReference.CreateFromFile(typeof(Tmds.Linux.LibC).Assembly.Location);

    /// <summary>The target framework of the running runtime, such as net10.0.</summary>
    public static string TargetFramework => ReferencePacks.TargetFramework;

    /// <summary>The .NET installation that runs the tests.</summary>
    public static string DotnetRoot => ReferencePacks.DotnetRoot;
}
