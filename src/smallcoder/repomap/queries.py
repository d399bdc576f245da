"""Tree-sitter queries that find definitions and references, one set per grammar.

Conventions (read by tags.py):
- a definition pattern captures the whole node as `@def.<kind>` and its name
  as `@name`; when `@name` is absent (C/C++ declarators nest arbitrarily
  deep), tags.py follows the `declarator` fields to find it, and keeps the
  node only if that chain holds a function declarator (so `int x;` is not a
  function);
- a reference pattern captures the identifier as `@ref`, or as `@ref.attr`
  when it is reached through a value (`obj.name`): such a use is weaker
  evidence, since any object may have a member of that name. Go selectors
  stay `@ref`: `pkg.Func` is how Go names another package's functions.

Object-like C macros (`#define X 1`, include guards) are left out: headers
hold hundreds of thousands of them and they crowd out the functions.

References are deliberately targeted (calls, member access, types, imports,
capitalized arguments such as classes passed as values) rather than every
identifier: local variables, and the lower-case locals passed as arguments,
would otherwise inflate the counts of any definition that shares their name.
"""

from __future__ import annotations

PYTHON = r"""
(class_definition name: (identifier) @name) @def.class
(function_definition name: (identifier) @name) @def.function
(module (expression_statement (assignment left: (identifier) @name) @def.constant)
  (#match? @name "^[A-Z][A-Z0-9_]*$"))

(call function: (identifier) @ref)
(attribute attribute: (identifier) @ref.attr)
((argument_list (identifier) @ref) (#match? @ref "^[A-Z]"))
(type (identifier) @ref)
(decorator (identifier) @ref)
(import_from_statement name: (dotted_name (identifier) @ref))
(import_from_statement name: (aliased_import name: (dotted_name (identifier) @ref)))
"""

# Shared by JavaScript, TypeScript and TSX (names are `(_)`: identifier in JS,
# type_identifier in TS).
_JS_COMMON = r"""
(function_declaration name: (_) @name) @def.function
(generator_function_declaration name: (_) @name) @def.function
(class_declaration name: (_) @name) @def.class
(method_definition name: (_) @name) @def.method
(program (lexical_declaration
  (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def.function))
(program (variable_declaration
  (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def.function))
(program (export_statement (lexical_declaration
  (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)]) @def.function)))
(program (expression_statement (assignment_expression
  left: (member_expression property: (property_identifier) @name)
  right: [(arrow_function) (function_expression)]) @def.function))

(call_expression function: (identifier) @ref)
(member_expression property: (property_identifier) @ref.attr)
(new_expression constructor: (identifier) @ref)
((arguments (identifier) @ref) (#match? @ref "^[A-Z]"))
(import_specifier name: (identifier) @ref)
"""

_JS_ONLY = r"""
(class_heritage (identifier) @ref)
"""

_JSX = r"""
(jsx_opening_element name: (identifier) @ref)
(jsx_self_closing_element name: (identifier) @ref)
"""

_TS_ONLY = r"""
(abstract_class_declaration name: (_) @name) @def.class
(interface_declaration name: (_) @name) @def.interface
(type_alias_declaration name: (_) @name) @def.type
(enum_declaration name: (_) @name) @def.enum
(method_signature name: (_) @name) @def.method
(abstract_method_signature name: (_) @name) @def.method
(function_signature name: (_) @name) @def.function
(internal_module name: (_) @name) @def.module

(extends_clause value: (identifier) @ref)
(type_identifier) @ref
"""

JAVASCRIPT = _JS_COMMON + _JS_ONLY + _JSX
TYPESCRIPT = _JS_COMMON + _TS_ONLY
TSX = _JS_COMMON + _TS_ONLY + _JSX

GO = r"""
(function_declaration name: (identifier) @name) @def.function
(method_declaration name: (field_identifier) @name) @def.method
(type_spec name: (type_identifier) @name) @def.type
(method_elem name: (field_identifier) @name) @def.method
(source_file (const_declaration (const_spec name: (identifier) @name) @def.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @def.variable))

(call_expression function: (identifier) @ref)
(selector_expression field: (field_identifier) @ref)
(type_identifier) @ref
((argument_list (identifier) @ref) (#match? @ref "^[A-Z]"))
"""

RUST = r"""
(function_item name: (identifier) @name) @def.function
(function_signature_item name: (identifier) @name) @def.function
(struct_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(union_item name: (type_identifier) @name) @def.union
(trait_item name: (type_identifier) @name) @def.trait
(type_item name: (type_identifier) @name) @def.type
(const_item name: (identifier) @name) @def.constant
(static_item name: (identifier) @name) @def.constant
(mod_item name: (identifier) @name body: (_)) @def.module
(macro_definition name: (identifier) @name) @def.macro

(call_expression function: (identifier) @ref)
(call_expression function: (scoped_identifier name: (identifier) @ref))
(field_expression field: (field_identifier) @ref.attr)
(macro_invocation macro: (identifier) @ref)
(type_identifier) @ref
((arguments (identifier) @ref) (#match? @ref "^[A-Z]"))
(use_declaration argument: (scoped_identifier name: (identifier) @ref))
(use_list (identifier) @ref)
"""

JAVA = r"""
(class_declaration name: (identifier) @name) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(record_declaration name: (identifier) @name) @def.class
(annotation_type_declaration name: (identifier) @name) @def.interface
(method_declaration name: (identifier) @name) @def.method
(constructor_declaration name: (identifier) @name) @def.method

(method_invocation !object name: (identifier) @ref)
(method_invocation object: (_) name: (identifier) @ref.attr)
(field_access field: (identifier) @ref.attr)
(type_identifier) @ref
((argument_list (identifier) @ref) (#match? @ref "^[A-Z]"))
(marker_annotation name: (identifier) @ref)
"""

_C_COMMON = r"""
(function_definition) @def.function
(declaration) @def.function
(struct_specifier name: (type_identifier) @name body: (_)) @def.struct
(union_specifier name: (type_identifier) @name body: (_)) @def.union
(enum_specifier name: (type_identifier) @name body: (_)) @def.enum
(type_definition declarator: (type_identifier) @name) @def.type
(preproc_function_def name: (identifier) @name) @def.macro

(call_expression function: (identifier) @ref)
(field_expression field: (field_identifier) @ref.attr)
(type_identifier) @ref
((argument_list (identifier) @ref) (#match? @ref "^[A-Z]"))
"""

C = _C_COMMON

CPP = _C_COMMON + r"""
(class_specifier name: (type_identifier) @name body: (_)) @def.class
(namespace_definition name: (namespace_identifier) @name) @def.module
(field_declaration) @def.method

(call_expression function: (qualified_identifier name: (identifier) @ref))
"""

QUERIES: dict[str, str] = {
    "python": PYTHON,
    "javascript": JAVASCRIPT,
    "typescript": TYPESCRIPT,
    "tsx": TSX,
    "go": GO,
    "rust": RUST,
    "java": JAVA,
    "c": C,
    "cpp": CPP,
}
