using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace KillSafe.Analyzers.Catalog
{
    /// <summary>
    /// The catalog resolved against one compilation: looked up once at compilation start.
    /// <see cref="Create"/> returns null when the compilation cannot reach any API of the asked kinds,
    /// so the rule registers nothing and costs (almost) nothing.
    /// </summary>
    internal sealed class CatalogView
    {
        private readonly Dictionary<INamedTypeSymbol, List<ApiEntry>> _managed;
        private readonly ImmutableArray<ApiEntry> _native;
        private readonly ImmutableHashSet<INamedTypeSymbol> _bindingTypes;
        private readonly INamedTypeSymbol? _libraryImportAttribute;
        private readonly ImmutableArray<(INamedTypeSymbol Type, string Member)> _encoders;
        private readonly ImmutableHashSet<string> _managedNames;
        private readonly ImmutableArray<string> _words;

        private CatalogView(
            Compilation compilation,
            Dictionary<INamedTypeSymbol, List<ApiEntry>> managed,
            ImmutableArray<ApiEntry> native,
            ImmutableHashSet<INamedTypeSymbol> bindingTypes,
            ImmutableArray<string> words)
        {
            Compilation = compilation;
            _words = words;
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
        /// Resolves the catalog rows of <paramref name="kind"/>. Returns null when no creating API of that
        /// kind can be reached: no managed creator type is referenced, and no native creator can be
        /// declared (no source symbol with a matching name, no binding library referenced).
        /// </summary>
        public static CatalogView? Create(Compilation compilation, ResourceKind kind) => Create(compilation, new[] { kind });

        /// <summary>The catalog rows of several kinds at once (a rule about all SysV objects).</summary>
        public static CatalogView? Create(Compilation compilation, IReadOnlyCollection<ResourceKind> kinds)
        {
            // The shared word scan first: it is cached per compilation, and in most projects it ends the matter
            // before any symbol look-up.
            if (!SourceMentionsAny(compilation, kinds))
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
                anyCreator = !bindingTypes.IsEmpty
                    || compilation.ContainsSymbolsWithName(
                        name => nativeCreators.Any(c => name.IndexOf(c, StringComparison.OrdinalIgnoreCase) >= 0),
                        SymbolFilter.Member);
            }

            if (!anyCreator)
                return null;
            // The words of the asked kinds; default (no filter) when one of them has none.
            var words = kinds.All(k => ResourceCatalog.AnchorWords.ContainsKey(k))
                ? kinds.SelectMany(k => ResourceCatalog.AnchorWords[k]).Distinct().ToImmutableArray()
                : default;
            return new CatalogView(compilation, managed, native.ToImmutable(), bindingTypes, words);
        }

        /// <summary>The roles a rule starts its analysis from: without any of them in reach, it has nothing to do.</summary>
        private static bool IsStartingPoint(ApiRole role) => role is ApiRole.Create or ApiRole.HandleSignal or ApiRole.Accept;

        private static bool SourceMentionsAny(Compilation compilation, IReadOnlyCollection<ResourceKind> kinds)
        {
            var mentioned = SourceWords.For(compilation).Mentioned;
            return kinds.Any(k => !ResourceCatalog.AnchorWords.TryGetValue(k, out var words) || words.Any(mentioned.Contains));
        }

        /// <summary>True when <paramref name="tree"/> mentions a word of this view's kinds (or a kind has no words).</summary>
        public bool Mentions(SyntaxTree tree)
        {
            if (_words.IsDefault)
                return true;
            var inTree = SourceWords.For(Compilation).In(tree);
            foreach (var word in _words)
            {
                if (inTree.Contains(word))
                    return true;
            }

            return false;
        }

        /// <summary>
        /// Registers <paramref name="action"/> for operations of <paramref name="kinds"/> only in member bodies of
        /// files that mention this view's words: files that cannot use the APIs cost one check per member body,
        /// not one callback per call.
        /// </summary>
        public void RegisterOperationAction(Microsoft.CodeAnalysis.Diagnostics.CompilationStartAnalysisContext start, Action<Microsoft.CodeAnalysis.Diagnostics.OperationAnalysisContext> action, params OperationKind[] kinds)
        {
            start.RegisterOperationBlockStartAction(block =>
            {
                if (block.OperationBlocks.Length > 0 && Mentions(block.OperationBlocks[0].Syntax.SyntaxTree))
                    block.RegisterOperationAction(action, kinds);
            });
        }

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
            var type = Compilation.GetTypeByMetadataName(enumType);
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
}
