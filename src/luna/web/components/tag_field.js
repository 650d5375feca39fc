// The tag editor's list lives here, in the browser. NiceGUI's ui.input_chips sends each change to the server
// and shows the list only when the server echoes it; a second Enter before that echo was built on the old
// list and dropped the tag before it. Here every add, remove and clear starts from the list the person sees,
// the server is told and never answers back, so no tag is lost however slow the link.
export default {
  template: `
    <q-select
      v-bind="$attrs"
      :id="id"
      :model-value="tags"
      @update:model-value="change"
      multiple
      use-input
      use-chips
      hide-dropdown-icon
      new-value-mode="add-unique"
      :input-debounce="0"
    >
      <template v-for="(_, slot) in $slots" v-slot:[slot]="slotProps">
        <slot :name="slot" v-bind="slotProps || {}" />
      </template>
    </q-select>
  `,
  inheritAttrs: false,
  props: {
    value: Array,
    id: String,
  },
  emits: ["update:value"],
  data() {
    return { tags: this.value ?? [] };
  },
  watch: {
    value(tags) {
      this.tags = tags ?? []; // the server set the list itself
    },
  },
  methods: {
    change(tags) {
      this.tags = tags ?? []; // clearing gives null
      this.$emit("update:value", this.tags);
    },
  },
  beforeUnmount() {
    // the server keeps the browser's list without sending it back, so a re-mounted field starts from it
    const element = mounted_app.elements[this.id.slice(1)];
    if (element) element.props.value = this.tags;
  },
};
