using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace KillSafe.Analyze.Loading;

/// <summary>
/// Folder mode: code that does not restore here, compiled ad hoc. Each .cs file belongs to the nearest project
/// file above it (files outside every project form one more compilation); each project is compiled against
/// the installed SDK's reference packs, the packages of its PackageReferences that the local package cache
/// holds, and the projects it references, with the defines, implicit usings and output type its project file
/// states. The result is approximate, and says so: compile errors are counted.
/// </summary>
internal static class FolderLoader
{
    private static readonly string[] SkippedFolders = { "bin", "obj", ".git", ".vs", "node_modules" };

    private static readonly string[] SdkUsings = { "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks" };

    private static readonly string[] WebUsings = { "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging" };

    private static readonly string[] WorkerUsings = { "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging" };

    public static LoadedSolution Load(string root, IReadOnlyList<string> defines, Action<string> progress)
    {
        root = Path.GetFullPath(root).TrimEnd('/');
        var sources = Enumerate(root, "*.cs").ToList();
        var projects = Enumerate(root, "*.csproj").OrderBy(p => p, StringComparer.Ordinal).Select(ProjectFile.Read).ToList();
        progress($"folder mode: {sources.Count} C# files, {projects.Count} project files under {root}");

        // Each file to the deepest project folder above it; one project per folder (the first by name).
        var byFolder = projects.GroupBy(p => p.Directory, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var owned = new Dictionary<ProjectFile, List<string>>();
        var loose = new List<string>();
        foreach (var source in sources)
        {
            ProjectFile? owner = null;
            for (var folder = Path.GetDirectoryName(source); folder is not null && folder.Length >= root.Length; folder = Path.GetDirectoryName(folder))
            {
                if (byFolder.TryGetValue(folder, out owner))
                    break;
            }

            if (owner is null)
                loose.Add(source);
            else
                (owned.TryGetValue(owner, out var list) ? list : owned[owner] = new List<string>()).Add(source);
        }

        var packs = ReferencePacks.NetCore.AddRange(ReferencePacks.AspNetCore);
        var packNames = new HashSet<string>(packs.Select(r => Path.GetFileNameWithoutExtension(((PortableExecutableReference)r).FilePath!)), StringComparer.OrdinalIgnoreCase);
        var editorConfigs = EditorConfigs(root);
        var ids = owned.Keys.ToDictionary(p => p, _ => ProjectId.CreateNewId());
        var byPath = owned.Keys.ToDictionary(p => p.Path, StringComparer.Ordinal);
        var infos = new List<ProjectInfo>();
        foreach (var (project, files) in owned)
        {
            var references = packs.AddRange(PackageAssemblies(project, packNames));
            var projectReferences = project.ProjectReferences.Where(byPath.ContainsKey).Select(p => new ProjectReference(ids[byPath[p]]));
            infos.Add(Project(ids[project], project.Name, project.Path, project, files, references, projectReferences, editorConfigs, defines));
        }

        if (loose.Count > 0)
            infos.Add(Project(ProjectId.CreateNewId(), "(files outside any project)", null, null, loose, packs, Array.Empty<ProjectReference>(), editorConfigs, defines));

        // Project references must not form a cycle; drop the edges that would close one.
        var workspace = new AdhocWorkspace();
        workspace.AddSolution(SolutionInfo.Create(SolutionId.CreateNewId(), VersionStamp.Create(), root, WithoutCycles(infos)));
        return new LoadedSolution(workspace, workspace.CurrentSolution, Approximate: true, Array.Empty<string>());
    }

    private static ProjectInfo Project(ProjectId id, string name, string? path, ProjectFile? project, List<string> files, ImmutableArray<MetadataReference> references, IEnumerable<ProjectReference> projectReferences, IReadOnlyList<string> editorConfigs, IReadOnlyList<string> defines)
    {
        var outputKind = project?.IsExecutable == true || (project is not null && project.OutputType is null && (project.Sdk.Contains(".Web", StringComparison.Ordinal) || project.Sdk.Contains(".Worker", StringComparison.Ordinal)))
            ? OutputKind.ConsoleApplication
            : OutputKind.DynamicallyLinkedLibrary;
        var nullable = project?.Nullable?.ToLowerInvariant() switch
        {
            "enable" or "true" => NullableContextOptions.Enable,
            "warnings" => NullableContextOptions.Warnings,
            "annotations" => NullableContextOptions.Annotations,
            _ => NullableContextOptions.Disable,
        };
        var compilation = new CSharpCompilationOptions(outputKind, allowUnsafe: true, nullableContextOptions: nullable);
        var symbols = Symbols(project?.TargetFramework).Concat(project?.DefineConstants ?? Array.Empty<string>()).Concat(defines).Distinct(StringComparer.Ordinal);
        var parse = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.None, SourceCodeKind.Regular, symbols);

        var documents = files.Select(f => Document(id, f)).ToList();
        if (project is { ImplicitUsings: true })
        {
            var usings = SdkUsings.Concat(project.Sdk.Contains(".Web", StringComparison.Ordinal) ? WebUsings : project.Sdk.Contains(".Worker", StringComparison.Ordinal) ? WorkerUsings : Array.Empty<string>());
            var text = string.Concat(usings.Select(u => $"global using global::{u};\n"));
            documents.Add(DocumentInfo.Create(DocumentId.CreateNewId(id), "ImplicitUsings.g.cs", loader: TextLoader.From(TextAndVersion.Create(SourceText.From(text, Encoding.UTF8), VersionStamp.Create())), filePath: Path.Combine(project.Directory, "obj", "ImplicitUsings.g.cs")));
        }

        var configs = editorConfigs.Select(c => Document(id, c)).ToList();
        var folder = project?.Directory ?? Path.GetDirectoryName(files[0])!;
        foreach (var global in GlobalConfigs(folder))
            configs.Add(Document(id, global));
        // What the SDK tells analyzers about the project (build_property.* in its generated global config).
        var properties = new StringBuilder("is_global = true\n");
        if (project?.TargetFramework is { } tfm)
        {
            properties.Append("build_property.TargetFramework = ").Append(tfm).Append('\n');
            if (ProjectFile.NetVersion(tfm) is { } version)
                properties.Append("build_property.TargetFrameworkIdentifier = .NETCoreApp\nbuild_property.TargetFrameworkVersion = v").Append(version.ToString(2)).Append('\n');
        }

        properties.Append("build_property.OutputType = ").Append(outputKind == OutputKind.ConsoleApplication ? "Exe" : "Library").Append('\n');
        if (project?.IsTestProject == true)
            properties.Append("build_property.IsTestProject = true\n");
        if (project?.WindowsOnly == true)
            properties.Append("build_property.TargetPlatformIdentifier = windows\n");
        configs.Add(DocumentInfo.Create(DocumentId.CreateNewId(id), "killsafe-folder.globalconfig", loader: TextLoader.From(TextAndVersion.Create(SourceText.From(properties.ToString(), Encoding.UTF8), VersionStamp.Create())), filePath: Path.Combine(folder, "obj", "killsafe-folder.globalconfig")));

        return ProjectInfo.Create(id, VersionStamp.Create(), name, name, LanguageNames.CSharp, filePath: path, compilationOptions: compilation, parseOptions: parse,
                documents: documents, projectReferences: projectReferences, metadataReferences: references)
            .WithAnalyzerConfigDocuments(configs);
    }

    private static DocumentInfo Document(ProjectId project, string path)
    {
        SourceText text;
        using (var stream = File.OpenRead(path))
            text = SourceText.From(stream, throwIfBinaryDetected: false);
        return DocumentInfo.Create(DocumentId.CreateNewId(project), Path.GetFileName(path), loader: TextLoader.From(TextAndVersion.Create(text, VersionStamp.Create(), path)), filePath: path);
    }

    /// <summary>The SDK's implicit symbols for a target framework (NET8_0, NET8_0_OR_GREATER, ...), plus DEBUG and TRACE.</summary>
    internal static IEnumerable<string> Symbols(string? tfm)
    {
        yield return "DEBUG";
        yield return "TRACE";
        if (tfm is null)
            yield break;
        if (ProjectFile.NetVersion(tfm) is { } version)
        {
            yield return "NET";
            yield return "NETCOREAPP";
            yield return $"NET{version.Major}_{version.Minor}";
            for (int major = 5; major <= version.Major; major++)
                yield return $"NET{major}_0_OR_GREATER";
            foreach (var core in new[] { "1_0", "1_1", "2_0", "2_1", "2_2", "3_0", "3_1" })
                yield return $"NETCOREAPP{core}_OR_GREATER";
            if (tfm.Contains("-windows", StringComparison.Ordinal))
                yield return "WINDOWS";
        }
        else if (tfm.StartsWith("netstandard", StringComparison.Ordinal) && Version.TryParse(tfm["netstandard".Length..], out var standard))
        {
            yield return "NETSTANDARD";
            yield return $"NETSTANDARD{standard.Major}_{standard.Minor}";
            foreach (var (major, minor) in new[] { (1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 0), (2, 1) }.Where(v => new Version(v.Item1, v.Item2) <= standard))
                yield return $"NETSTANDARD{major}_{minor}_OR_GREATER";
        }
    }

    // The packages a project names, where the local package cache has them (never downloaded here): the
    // newest version, the library folder that suits .NET best. Assemblies the reference packs already
    // provide (Microsoft.Extensions.* in the ASP.NET Core pack) are left out, or their types would clash.
    private static IEnumerable<MetadataReference> PackageAssemblies(ProjectFile project, HashSet<string> provided)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string[] preference = { "net10.0", "net9.0", "net8.0", "net7.0", "net6.0", "net5.0", "netcoreapp3.1", "netstandard2.1", "netstandard2.0", "netstandard1.6", "netstandard1.3", "netstandard1.1", "netstandard1.0" };
        foreach (var id in project.PackageReferences.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var folder = Path.Combine(cache, id.ToLowerInvariant());
            if (!Directory.Exists(folder))
                continue;
            var lib = Directory.GetDirectories(folder)
                .OrderByDescending(v => Version.TryParse(Path.GetFileName(v).Split('-')[0], out var parsed) ? parsed : new Version(0, 0))
                .Select(v => preference.Select(t => Path.Combine(v, "lib", t)).FirstOrDefault(Directory.Exists))
                .FirstOrDefault(l => l is not null);
            if (lib is null)
                continue;
            foreach (var dll in Directory.GetFiles(lib, "*.dll").Where(d => !provided.Contains(Path.GetFileNameWithoutExtension(d))))
                yield return MetadataReference.CreateFromFile(dll);
        }
    }

    // .editorconfig files below the root and above it (up to one that says root = true): each applies to the
    // files under its own folder only, so taking them all is what the compiler does file by file.
    private static List<string> EditorConfigs(string root)
    {
        var result = Enumerate(root, ".editorconfig").ToList();
        for (var folder = Directory.GetParent(root); folder is not null; folder = folder.Parent)
        {
            var config = Path.Combine(folder.FullName, ".editorconfig");
            if (!File.Exists(config))
                continue;
            result.Add(config);
            if (File.ReadLines(config).Any(l => l.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("root=true", StringComparison.OrdinalIgnoreCase)))
                break;
        }

        return result;
    }

    // The SDK adds every .globalconfig of the project's folder and the folders above it.
    private static IEnumerable<string> GlobalConfigs(string folder)
    {
        for (var current = new DirectoryInfo(folder); current is not null; current = current.Parent)
        {
            var config = Path.Combine(current.FullName, ".globalconfig");
            if (File.Exists(config))
                yield return config;
        }
    }

    private static IEnumerable<string> Enumerate(string root, string pattern)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(folder, pattern, options))
                yield return file;
            foreach (var sub in Directory.EnumerateDirectories(folder, "*", options))
            {
                if (!SkippedFolders.Contains(Path.GetFileName(sub), StringComparer.OrdinalIgnoreCase))
                    pending.Push(sub);
            }
        }
    }

    private static IEnumerable<ProjectInfo> WithoutCycles(List<ProjectInfo> infos)
    {
        var kept = new Dictionary<ProjectId, List<ProjectReference>>();
        HashSet<ProjectId> Reachable(ProjectId from)
        {
            var seen = new HashSet<ProjectId>();
            var stack = new Stack<ProjectId>();
            stack.Push(from);
            while (stack.Count > 0)
            {
                foreach (var next in kept.GetValueOrDefault(stack.Pop()) ?? new List<ProjectReference>())
                {
                    if (seen.Add(next.ProjectId))
                        stack.Push(next.ProjectId);
                }
            }

            return seen;
        }

        foreach (var info in infos)
        {
            var list = kept[info.Id] = new List<ProjectReference>();
            foreach (var reference in info.ProjectReferences)
            {
                if (reference.ProjectId != info.Id && !Reachable(reference.ProjectId).Contains(info.Id))
                    list.Add(reference);
            }
        }

        return infos.Select(i => i.WithProjectReferences(kept[i.Id]));
    }
}
