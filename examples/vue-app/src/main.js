// The <presigned-upload> element in a Vue 3 app: importing the widget
// defines it, vite.config.js tells Vue's compiler it is a custom element.
import "presigned-upload/widget";
import { createApp } from "vue";
import App from "./App.vue";

createApp(App).mount("#app");
