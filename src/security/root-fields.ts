import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql'

/**
 * The root fields the chosen operation of a document selects, through fragments; a spread of a fragment the
 * document lacks is named `...Name`, so that it matches no allowed field.
 */
export function rootFieldNames(document: DocumentNode, operationName: string | null | undefined): string[] {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  )
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
  const names: string[] = []
  const seen = new Set<string>()
  const walk = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value)
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet.selections)
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value)
        const fragment = fragments.get(selection.name.value)
        if (fragment) walk(fragment.selectionSet.selections)
        else names.push(`...${selection.name.value}`)
      }
    }
  }
  if (operation) walk(operation.selectionSet.selections)
  return names
}
