using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// The .NET a compilation is built for: from the project's target framework when the build tells analyzers
/// (<c>build_property.TargetFramework</c>, which the KillSafe package makes visible; or
/// <c>TargetFrameworkIdentifier</c> and <c>TargetFrameworkVersion</c>), else from the version of the core
/// library it references (<c>System.Runtime</c> 10.0.0.0 for net10.0). A multi-targeted project is compiled
/// once per framework, so each compilation answers for its own.
/// </summary>
internal readonly struct TargetRuntime
{
    private TargetRuntime(int major, bool windowsOnly)
    {
        Major = major;
        WindowsOnly = windowsOnly;
    }

    /// <summary>The major version of .NET (5 and later; 0 for .NET Framework, .NET Standard and .NET Core 1-3).</summary>
    public int Major { get; }

    /// <summary>True for a <c>-windows</c> target framework: the program never runs on Linux.</summary>
    public bool WindowsOnly { get; }

    /// <summary>
    /// True when the runtime does not handle SIGTERM itself: .NET 10 and later (dotnet/runtime PR 115494,
    /// docs/linux-facts.md), on a target that can run on Linux.
    /// </summary>
    public bool IgnoresSigterm => Major >= 10 && !WindowsOnly;

    public static TargetRuntime Of(Compilation compilation, AnalyzerOptions options)
    {
        var global = options.AnalyzerConfigOptionsProvider.GlobalOptions;
        var found = FromOptions(global) ?? FromCoreLibrary(compilation);
        // A program for Windows only: a -windows target, TargetPlatformIdentifier, or [assembly: SupportedOSPlatform("windows")].
        bool windows = found.WindowsOnly
            || (global.TryGetValue("build_property.TargetPlatformIdentifier", out var platform) && platform.Equals("windows", StringComparison.OrdinalIgnoreCase))
            || compilation.Assembly.GetAttributes().Any(a => a.AttributeClass?.Name == "SupportedOSPlatformAttribute"
                && a.ConstructorArguments.FirstOrDefault().Value is string name && name.StartsWith("windows", StringComparison.OrdinalIgnoreCase));
        return new TargetRuntime(found.Major, windows);
    }

    private static TargetRuntime? FromOptions(AnalyzerConfigOptions global)
    {
        if (global.TryGetValue("build_property.TargetFramework", out var framework) && FromFramework(framework) is { } fromFramework)
            return fromFramework;
        if (!global.TryGetValue("build_property.TargetFrameworkIdentifier", out var identifier) || string.IsNullOrWhiteSpace(identifier))
            return null;
        return identifier == ".NETCoreApp" && global.TryGetValue("build_property.TargetFrameworkVersion", out var version)
            && Version.TryParse(version.TrimStart('v', 'V'), out var parsed) && parsed.Major >= 5
            ? new TargetRuntime(parsed.Major, false)
            : new TargetRuntime(0, false);
    }

    // The core library: System.Runtime (reference assemblies) or System.Private.CoreLib carries the .NET
    // version from 5 on; .NET Core 3.1's is 4.2.2.0, netstandard's and mscorlib's are not .NET.
    private static TargetRuntime FromCoreLibrary(Compilation compilation)
    {
        var corlib = compilation.GetSpecialType(SpecialType.System_Object).ContainingAssembly?.Identity;
        return corlib is { Name: "System.Runtime" or "System.Private.CoreLib" } && corlib.Version.Major >= 5
            ? new TargetRuntime(corlib.Version.Major, false)
            : new TargetRuntime(0, false);
    }

    /// <summary>"net10.0", "net10.0-linux", "net8.0-windows10.0.19041": the version and whether the platform is Windows; null for other forms.</summary>
    internal static TargetRuntime? FromFramework(string framework)
    {
        framework = framework.Trim();
        if (framework.Length == 0)
            return null;
        if (!framework.StartsWith("net", StringComparison.OrdinalIgnoreCase) || framework.StartsWith("netstandard", StringComparison.OrdinalIgnoreCase)
            || framework.StartsWith("netcoreapp", StringComparison.OrdinalIgnoreCase))
            return new TargetRuntime(0, false);
        int dash = framework.IndexOf('-');
        var versionText = dash < 0 ? framework.Substring(3) : framework.Substring(3, dash - 3);
        bool windows = dash >= 0 && framework.Substring(dash + 1).StartsWith("windows", StringComparison.OrdinalIgnoreCase);
        // net48, net472: .NET Framework (no dot); net5.0 and later have one.
        if (versionText.IndexOf('.') < 0 || !Version.TryParse(versionText, out var version))
            return new TargetRuntime(0, windows);
        return new TargetRuntime(version.Major >= 5 ? version.Major : 0, windows);
    }
}
