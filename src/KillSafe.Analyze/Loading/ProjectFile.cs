using System.Xml.Linq;

namespace KillSafe.Analyze.Loading;

/// <summary>
/// What folder mode reads from a project file without MSBuild: the properties that change how its code
/// compiles and which rules apply (output type, target frameworks, implicit usings, defines), its package and
/// project references. Properties set in Directory.Build.props files above it count as defaults. Conditions
/// are not evaluated: an unconditioned value wins over conditioned ones (a property set only for Windows
/// builds does not describe this one), defines come from unconditioned elements only, and the output says
/// the compilation is approximate.
/// </summary>
internal sealed record ProjectFile(
    string Path,
    string Sdk,
    string? OutputType,
    IReadOnlyList<string> TargetFrameworks,
    bool ImplicitUsings,
    string? Nullable,
    IReadOnlyList<string> DefineConstants,
    IReadOnlyList<string> PackageReferences,
    IReadOnlyList<string> ProjectReferences,
    bool IsTestProject = false,
    bool WindowsOnly = false)
{
    /// <summary>Packages that make a project a test project (the SDK's IsTestProject, or a test framework).</summary>
    private static readonly string[] TestPackages = { "Microsoft.NET.Test.Sdk", "xunit", "xunit.v3", "xunit.core", "NUnit", "MSTest", "MSTest.TestFramework", "TUnit", "TUnit.Core" };

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>True for Exe and WinExe (the SDK's default is Library).</summary>
    public bool IsExecutable => OutputType is not null && (OutputType.Equals("Exe", StringComparison.OrdinalIgnoreCase) || OutputType.Equals("WinExe", StringComparison.OrdinalIgnoreCase));

    /// <summary>The newest .NET (not .NET Framework or .NET Standard) target, such as net8.0, else the first one.</summary>
    public string? TargetFramework =>
        TargetFrameworks.Select(t => (Tfm: t, Version: NetVersion(t))).Where(t => t.Version is not null).OrderByDescending(t => t.Version).Select(t => t.Tfm).FirstOrDefault()
        ?? TargetFrameworks.FirstOrDefault();

    /// <summary>5.0 for net5.0, 10.0 for net10.0-windows; null for netstandard, netcoreapp and net4x.</summary>
    public static Version? NetVersion(string tfm)
    {
        var name = tfm.Split('-')[0];
        if (!name.StartsWith("net", StringComparison.Ordinal) || name.StartsWith("netstandard", StringComparison.Ordinal) || name.StartsWith("netcoreapp", StringComparison.Ordinal))
            return null;
        return Version.TryParse(name[3..], out var version) && version.Major >= 5 ? version : null;
    }

    /// <summary>Reads <paramref name="path"/>; an unreadable or malformed file gives a project with the SDK's defaults.</summary>
    public static ProjectFile Read(string path)
    {
        XDocument? document = null;
        try
        {
            document = XDocument.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
        }

        var inherited = InheritedProperties(System.IO.Path.GetDirectoryName(path)!);
        static bool Conditioned(XElement e) => e.Attribute("Condition") is not null || e.Parent?.Attribute("Condition") is not null;
        string? Property(string name)
        {
            var elements = document?.Descendants().Where(e => e.Name.LocalName == name).ToList() ?? new List<XElement>();
            var chosen = elements.FirstOrDefault(e => !Conditioned(e)) ?? elements.FirstOrDefault();
            return chosen?.Value.Trim() is { Length: > 0 } value ? value : inherited.GetValueOrDefault(name);
        }

        string? Unconditioned(string name) =>
            document?.Descendants().FirstOrDefault(e => e.Name.LocalName == name && !Conditioned(e))?.Value.Trim() is { Length: > 0 } value ? value : inherited.GetValueOrDefault(name);
        var frameworks = (Property("TargetFrameworks") ?? Property("TargetFramework") ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(t => !t.Contains("$(", StringComparison.Ordinal))
            .ToList();
        var items = document?.Descendants().ToList() ?? new List<XElement>();
        return new ProjectFile(
            path,
            document?.Root?.Attribute("Sdk")?.Value ?? "Microsoft.NET.Sdk",
            Property("OutputType"),
            frameworks,
            Property("ImplicitUsings") is { } implicitUsings && (implicitUsings.Equals("enable", StringComparison.OrdinalIgnoreCase) || implicitUsings.Equals("true", StringComparison.OrdinalIgnoreCase)),
            Property("Nullable"),
            (Unconditioned("DefineConstants") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(d => !d.Contains("$(", StringComparison.Ordinal)).ToList(),
            items.Where(e => e.Name.LocalName == "PackageReference").Select(e => e.Attribute("Include")?.Value).OfType<string>().ToList(),
            items.Where(e => e.Name.LocalName == "ProjectReference").Select(e => e.Attribute("Include")?.Value).OfType<string>()
                .Select(r => System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, r.Replace('\\', '/')))).ToList())
        {
            IsTestProject = string.Equals(Property("IsTestProject"), "true", StringComparison.OrdinalIgnoreCase)
                || items.Any(e => e.Name.LocalName == "PackageReference" && TestPackages.Contains(e.Attribute("Include")?.Value, StringComparer.OrdinalIgnoreCase)),
            // A program for Windows only: <SupportedOSPlatform>windows</SupportedOSPlatform>, or runtime identifiers all win-*.
            WindowsOnly = Property("SupportedOSPlatform")?.StartsWith("windows", StringComparison.OrdinalIgnoreCase) == true
                || (Property("RuntimeIdentifiers") ?? Property("RuntimeIdentifier"))?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } rids
                    && rids.All(r => r.StartsWith("win", StringComparison.OrdinalIgnoreCase)),
        };
    }

    // Directory.Build.props files from the project's folder upwards, nearest first (MSBuild imports only the
    // nearest one, which usually imports its parent: reading them all is the approximation).
    private static Dictionary<string, string> InheritedProperties(string directory)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            var props = System.IO.Path.Combine(current.FullName, "Directory.Build.props");
            if (!File.Exists(props))
                continue;
            try
            {
                foreach (var element in XDocument.Load(props).Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup" && !e.HasElements))
                    result.TryAdd(element.Name.LocalName, element.Value.Trim());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Xml.XmlException)
            {
            }
        }

        return result;
    }
}
