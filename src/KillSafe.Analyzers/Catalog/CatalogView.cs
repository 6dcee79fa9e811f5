using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

// The catalog is the one place that looks types up by name, once per compilation (BannedSymbols.txt).
#pragma warning disable RS0030

namespace KillSafe.Analyzers.Catalog;

/// <summary>
/// The catalog resolved against one compilation, once per compilation and set of kinds.
/// <see cref="Create(Compilation, ResourceKind)"/> returns null when the compilation cannot reach any API of the
/// asked kinds; rules register through <see cref="RegisterOperationAction(CompilationStartAnalysisContext, IReadOnlyCollection{ResourceKind}, Func{CatalogView, Action{OperationAnalysisContext}?}, OperationKind[])"/>,
/// which registers nothing when no file mentions the kinds' words, so such a compilation costs one shared text scan.
/// </summary>
internal sealed class CatalogView
{
    private readonly Dictionary<INamedTypeSymbol, List<ApiEntry>> _managed;
    private readonly ImmutableArray<ApiEntry> _native;
    private readonly ImmutableHashSet<INamedTypeSymbol> _bindingTypes;
    private readonly INamedTypeSymbol? _libraryImportAttribute;
    private readonly ImmutableArray<(INamedTypeSymbol Type, string Member)> _encoders;
    private readonly ConcurrentDictionary<string, INamedTypeSymbol?> _types = new(StringComparer.Ordinal);
    private readonly ImmutableHashSet<string> _managedNames;

    private CatalogView(
        Compilation compilation,
        Dictionary<INamedTypeSymbol, List<ApiEntry>> managed,
        ImmutableArray<ApiEntry> native,
        ImmutableHashSet<INamedTypeSymbol> bindingTypes)
    {
        Compilation = compilation;
        _managed = managed;
        _native = native;
        _bindingTypes = bindingTypes;
        _libraryImportAttribute = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.LibraryImportAttribute");
        _managedNames = managed.Values.SelectMany(rows => rows).Select(r => r.Name).ToImmutableHashSet(StringComparer.Ordinal);
        _encoders = ResourceCatalog.PathEncoders
            .Select(e => (Type: compilation.GetTypeByMetadataName(e.Type), e.Member))
            .Where(e => e.Type is not null)
            .Select(e => (e.Type!, e.Member))
            .ToImmutableArray();
    }

    public Compilation Compilation { get; }

    /// <summary>
    /// The type with <paramref name="metadataName"/> in this compilation, or null; looked up once per view.
    /// Rules ask here, never the compilation itself (BannedSymbols.txt): a look-up per callback is what
    /// makes analyzers slow (docs/performance.md).
    /// </summary>
    public INamedTypeSymbol? Type(string metadataName) => _types.GetOrAdd(metadataName, name => Compilation.GetTypeByMetadataName(name));

    /// <summary>
    /// Resolves the catalog rows of <paramref name="kind"/>. Returns null when no creating API of that
    /// kind can be reached: no managed creator type is referenced, and no native creator can be
    /// declared (no source symbol with a matching name, no binding library referenced).
    /// </summary>
    public static CatalogView? Create(Compilation compilation, ResourceKind kind) => Create(compilation, new[] { kind });

    /// <summary>
    /// The catalog rows of several kinds at once (a rule about all SysV objects). Views are shared per
    /// compilation and set of kinds: the socket rules resolve the socket types once, not once each.
    /// </summary>
    public static CatalogView? Create(Compilation compilation, IReadOnlyCollection<ResourceKind> kinds)
    {
        var views = Views.GetValue(compilation, _ => new ConcurrentDictionary<ulong, Lazy<CatalogView?>>());
        return views.GetOrAdd(KeyOf(kinds), _ => new Lazy<CatalogView?>(() => Resolve(compilation, kinds), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    // Lazy: analyzers start concurrently, and GetOrAdd may run its factory more than once.
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<ulong, Lazy<CatalogView?>>> Views = new();

    private static ulong KeyOf(IReadOnlyCollection<ResourceKind> kinds)
    {
        ulong key = 0;
        foreach (var kind in kinds)
            key |= 1UL << (int)kind;
        return key;
    }

    /// <summary>
    /// Registers, at compilation start, an operation action of a rule about <paramref name="kinds"/> that runs
    /// only in member bodies of files that mention the kinds' words, and only when the catalog resolves in the
    /// compilation. Nothing is registered when no file mentions a word: one shared text scan decides, and no
    /// symbol is touched. The symbol look-up (<see cref="Create(Compilation, IReadOnlyCollection{ResourceKind})"/>)
    /// and <paramref name="bind"/> run once, at the first member body of a file that mentions a word, and when
    /// either gives null nothing runs. Why not at compilation start: there the first symbol look-up of a fresh
    /// compilation took 27-45 ms on the benchmark's corpus, and at the first relevant member body usually
    /// 0.3-2.3 ms (docs/performance.md; probably the compilation binding its references, which the compiler
    /// does at the same moment).
    /// </summary>
    public static void RegisterOperationAction(
        CompilationStartAnalysisContext start,
        IReadOnlyCollection<ResourceKind> kinds,
        Func<CatalogView, Action<OperationAnalysisContext>?> bind,
        params OperationKind[] operationKinds)
    {
        var compilation = start.Compilation;
        if (!MayBeUsed(compilation, kinds))
            return;
        var words = SourceWords.For(compilation);
        var mask = SourceWords.MaskOf(kinds);
        var action = new Lazy<Action<OperationAnalysisContext>?>(
            () => Create(compilation, kinds) is { } view ? bind(view) : null,
            LazyThreadSafetyMode.ExecutionAndPublication);
        start.RegisterOperationBlockStartAction(block =>
        {
            if (block.OperationBlocks.Length == 0)
                return;
            if (mask is { } filter && (words.In(block.OperationBlocks[0].Syntax.SyntaxTree) & filter) == 0)
                return;
            if (action.Value is { } analyze)
                block.RegisterOperationAction(analyze, operationKinds);
        });
    }

    /// <inheritdoc cref="RegisterOperationAction(CompilationStartAnalysisContext, IReadOnlyCollection{ResourceKind}, Func{CatalogView, Action{OperationAnalysisContext}?}, OperationKind[])"/>
    public static void RegisterOperationAction(
        CompilationStartAnalysisContext start,
        ResourceKind kind,
        Func<CatalogView, Action<OperationAnalysisContext>?> bind,
        params OperationKind[] operationKinds) =>
        RegisterOperationAction(start, new[] { kind }, bind, operationKinds);

    /// <summary>
    /// True when some file of <paramref name="compilation"/> mentions a word of <paramref name="kinds"/> (or a
    /// kind has no words): the gate before any symbol look-up, for registration and for <see cref="Create(Compilation, IReadOnlyCollection{ResourceKind})"/>.
    /// </summary>
    public static bool MayBeUsed(Compilation compilation, IReadOnlyCollection<ResourceKind> kinds) =>
        SourceWords.MaskOf(kinds) is not { } mask || (SourceWords.For(compilation).Mentioned & mask) != 0;

    private static CatalogView? Resolve(Compilation compilation, IReadOnlyCollection<ResourceKind> kinds)
    {
        if (!MayBeUsed(compilation, kinds))
            return null;
        var managed = new Dictionary<INamedTypeSymbol, List<ApiEntry>>(SymbolEqualityComparer.Default);
        var native = ImmutableArray.CreateBuilder<ApiEntry>();
        bool anyCreator = false;
        foreach (var entry in ResourceCatalog.Entries)
        {
            if (!kinds.Contains(entry.Kind))
                continue;
            if (entry.Shape == ApiShape.Native)
            {
                native.Add(entry);
                continue;
            }

            var type = compilation.GetTypeByMetadataName(entry.ContainingType!);
            if (type is null)
                continue;
            if (!managed.TryGetValue(type, out var list))
                managed[type] = list = new List<ApiEntry>();
            list.Add(entry);
            anyCreator |= IsStartingPoint(entry.Role);
        }

        var bindingTypes = ResourceCatalog.NativeBindingTypes
            .Select(compilation.GetTypeByMetadataName)
            .Where(t => t is not null)
            .Select(t => t!)
            .ToImmutableHashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);

        var nativeCreators = native.Where(e => IsStartingPoint(e.Role)).Select(e => e.Name).ToArray();
        if (!anyCreator && nativeCreators.Length > 0)
        {
            // A P/Invoke declaration is usually named after its entry point; the declaration table
            // answers this without binding anything.
            // One renamed with EntryPoint ("shmget" in the attribute, CreateSegment in C#) shows in the source words.
            var words = SourceWords.For(compilation);
            anyCreator = !bindingTypes.IsEmpty
                || nativeCreators.Any(words.Mentions)
                || compilation.ContainsSymbolsWithName(
                    name => nativeCreators.Any(c => name.IndexOf(c, StringComparison.OrdinalIgnoreCase) >= 0),
                    SymbolFilter.Member);
        }

        if (!anyCreator)
            return null;
        return new CatalogView(compilation, managed, native.ToImmutable(), bindingTypes);
    }

    /// <summary>The roles a rule starts its analysis from: without any of them in reach, it has nothing to do.</summary>
    private static bool IsStartingPoint(ApiRole role) => role is ApiRole.Create or ApiRole.HandleSignal or ApiRole.Accept;

    /// <summary>The catalog row that <paramref name="method"/> is, or null.</summary>
    public ApiEntry? Match(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        // Fast path, taken for almost every call in a program: a name no row has, and no native declaration.
        var simpleName = method.MethodKind == MethodKind.Constructor ? ".ctor" : method.AssociatedSymbol?.Name ?? method.Name;
        if (!_managedNames.Contains(simpleName) && !MayBeNative(method))
            return null;
        // An override (NetworkStream.Read, StreamReader.ReadLine) is the row of the method it overrides.
        for (var candidate = method; candidate is not null; candidate = candidate.OverriddenMethod)
        {
            if (candidate.ContainingType is { } type && _managed.TryGetValue(type.OriginalDefinition, out var rows))
            {
                var name = candidate.MethodKind == MethodKind.Constructor ? ".ctor"
                    : candidate.AssociatedSymbol is IPropertySymbol property ? property.Name
                    : candidate.Name;
                foreach (var row in rows)
                {
                    if (row.Name == name && (row.ParameterCount < 0 || row.ParameterCount == candidate.Parameters.Length))
                        return row;
                }

                return null;
            }
        }

        if (_native.IsEmpty)
            return null;
        var entryPoint = NativeEntryPoint(method);
        if (entryPoint is null)
            return null;
        foreach (var row in _native)
        {
            if (row.Name == entryPoint && (row.ParameterCount < 0 || row.ParameterCount == method.Parameters.Length))
                return row;
        }

        return null;
    }

    /// <summary>The value of enum member <paramref name="member"/> of <paramref name="enumType"/>, or null when absent.</summary>
    public long? EnumValue(string enumType, string member)
    {
        var type = Type(enumType);
        var field = type?.GetMembers(member).OfType<IFieldSymbol>().FirstOrDefault();
        return field is { HasConstantValue: true } ? System.Convert.ToInt64(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>A P/Invoke (extern, or a LibraryImport partial) or a method of a binding library: worth the attribute look-up.</summary>
    private bool MayBeNative(IMethodSymbol method) =>
        !_native.IsEmpty && method.IsStatic
        && (method.IsExtern || method.IsPartialDefinition || (method.ContainingType is { } type && _bindingTypes.Contains(type)));

    /// <summary>True when <paramref name="type"/> is a binding library type (Tmds.Linux.LibC, ...).</summary>
    public bool IsBindingType(INamedTypeSymbol? type) => type is not null && _bindingTypes.Contains(type);

    /// <summary>True for <c>Encoding.GetBytes(string ...)</c>-like calls through which a path flows.</summary>
    public bool IsPathEncoder(IMethodSymbol method)
    {
        foreach (var (type, member) in _encoders)
        {
            if (method.Name == member && InheritsFrom(method.ContainingType, type)
                && method.Parameters.Length > 0 && IsText(method.Parameters[0].Type))
                return true;
        }

        return false;
    }

    /// <summary>
    /// The C entry point <paramref name="method"/> calls: from <c>[DllImport]</c> or <c>[LibraryImport]</c>
    /// of a recognised C library (by <c>EntryPoint</c>, else the method name), or the method name of a
    /// binding library type. Null otherwise.
    /// </summary>
    public string? NativeEntryPoint(IMethodSymbol method)
    {
        if (method.ContainingType is { } type && _bindingTypes.Contains(type))
            return method.Name;

        if (!method.IsStatic)
            return null;

        var dllImport = method.GetDllImportData();
        if (dllImport is not null)
            return IsCLibrary(dllImport.ModuleName) ? dllImport.EntryPointName ?? method.Name : null;

        if (_libraryImportAttribute is null)
            return null;
        foreach (var attribute in method.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _libraryImportAttribute))
                continue;
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string library || !IsCLibrary(library))
                return null;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "EntryPoint" && named.Value.Value is string entry)
                    return entry;
            }

            return method.Name;
        }

        return null;
    }

    /// <summary>string, or ReadOnlySpan&lt;char&gt; (which a string converts to).</summary>
    private static bool IsText(ITypeSymbol type) =>
        type.SpecialType == SpecialType.System_String
        || (type is INamedTypeSymbol { Name: "ReadOnlySpan", TypeArguments: { Length: 1 } args } && args[0].SpecialType == SpecialType.System_Char);

    private static bool IsCLibrary(string? module) => module is not null && ResourceCatalog.NativeLibraries.Contains(module);

    private static bool InheritsFrom(INamedTypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
                return true;
        }

        return false;
    }
}
